//! `--shim-report`: what the shim did in a build, from its audit record, in
//! a form a release engineer can paste into a ticket (or `--json`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::exit::ExitStatus;
use crate::logging::error_line;
use crate::lto::Lto;
use crate::output::{emit, one_line};
use crate::record::{Outcome, Record};
use crate::relink::decision::ReasonTag;

/// Totals over a record file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Bitcode relinks whose recipe was not proven kbuild's (forwarded,
    /// or failed in strict mode), one line each, bounded as the anomalies
    /// are: the first thing to look at, so the report shows them first.
    pub unproven: Vec<String>,
    pub unproven_not_listed: u64,
    pub invocations: u64,
    pub passthroughs: u64,
    pub passthroughs_thin: u64,
    pub passthroughs_full: u64,
    pub forwards: u64,
    pub errors: u64,
    /// Forwards counted by reason tag.
    pub forwards_by_reason: BTreeMap<String, u64>,
    pub bytes_copied: u64,
    pub micros_in_shim: u64,
    /// CPU the shim used, make queries included.
    pub cpu_micros_in_shim: u64,
    /// Module objects the build's make was asked about ...
    pub make_answers: u64,
    /// ... of which this many were another object's kept answer ...
    pub make_answers_cached: u64,
    /// ... and this long the queries that ran took, in all.
    pub micros_in_make_queries: u64,
    /// Calls worth a look, and record lines that are not records, one
    /// line each: the first [`MAX_ANOMALIES_LISTED`], each at most
    /// [`MAX_ANOMALY_BYTES`].
    pub anomalies: Vec<String>,
    /// Anomalies beyond those listed.
    pub anomalies_not_listed: u64,
    /// Lines of the record file that are not records (torn, edited).
    pub bad_lines: u64,
}

/// Bounds on what a report keeps, so its memory does not grow with the
/// record file: with the reader's line bound (`record::MAX_LINE_BYTES`,
/// 1 MiB) a report holds about 1 MiB + 1,000 x 1 KiB, whatever the file
/// (reason tags are a closed set).
pub const MAX_ANOMALIES_LISTED: usize = 1000;
pub const MAX_ANOMALY_BYTES: usize = 1024;

impl Summary {
    /// Counts one record.
    pub fn add(&mut self, r: &Record) {
        self.invocations += 1;
        self.micros_in_shim = self.micros_in_shim.saturating_add(r.micros);
        self.cpu_micros_in_shim = self.cpu_micros_in_shim.saturating_add(r.cpu_micros);
        if let Some(make) = &r.make {
            self.make_answers += 1;
            if make.cached {
                self.make_answers_cached += 1;
            } else {
                self.micros_in_make_queries = self
                    .micros_in_make_queries
                    .saturating_add(make.query_micros);
            }
        }
        let anomalous = match r.decision {
            Outcome::Passthrough => {
                self.passthroughs += 1;
                self.bytes_copied = self.bytes_copied.saturating_add(r.bytes);
                match r.lto {
                    Some(Lto::Thin) => self.passthroughs_thin += 1,
                    Some(Lto::Full) => self.passthroughs_full += 1,
                    _ => {}
                }
                false
            }
            Outcome::Forward => {
                self.forwards += 1;
                *self
                    .forwards_by_reason
                    .entry(r.reason.as_str().to_string())
                    .or_default() += 1;
                r.reason.is_anomalous()
            }
            Outcome::Error => {
                self.errors += 1;
                true
            }
        };
        let line = || {
            format!(
                "{} {} in {}: {}",
                r.decision.as_str(),
                r.output
                    .as_ref()
                    .map(|o| o.display().to_string())
                    .unwrap_or_else(|| "(no output)".into()),
                r.cwd.display(),
                r.detail
            )
        };
        if r.reason == ReasonTag::UnprovenRecipe {
            if self.unproven.len() < MAX_ANOMALIES_LISTED {
                self.unproven.push(one_line(&line(), MAX_ANOMALY_BYTES));
            } else {
                self.unproven_not_listed += 1;
            }
        } else if anomalous {
            self.anomaly(line());
        }
    }

    /// Counts a record line that is not a record.
    pub fn add_bad_line(&mut self, bad: &crate::record::BadLine) {
        self.bad_lines += 1;
        self.anomaly(format!("record {bad}"));
    }

    fn anomaly(&mut self, text: String) {
        if self.anomalies.len() < MAX_ANOMALIES_LISTED {
            self.anomalies.push(one_line(&text, MAX_ANOMALY_BYTES));
        } else {
            self.anomalies_not_listed += 1;
        }
    }
}

/// The human form: fixed labels, one figure per line.
pub fn render_text(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "kbuild-ld-shim report");
    bounded_list(
        &mut out,
        "unproven recipes",
        &s.unproven,
        s.unproven_not_listed,
    );
    let _ = writeln!(out, "  invocations        {}", s.invocations);
    let _ = writeln!(
        out,
        "  passthroughs       {} (thin {}, full {})",
        s.passthroughs, s.passthroughs_thin, s.passthroughs_full
    );
    let _ = writeln!(out, "  forwards           {}", s.forwards);
    for (reason, n) in &s.forwards_by_reason {
        let _ = writeln!(out, "    {reason:<26} {n}");
    }
    let _ = writeln!(out, "  errors             {}", s.errors);
    let _ = writeln!(out, "  bytes copied       {}", s.bytes_copied);
    let _ = writeln!(
        out,
        "  time in shim       {:.3} s ({:.3} s CPU)",
        s.micros_in_shim as f64 / 1e6,
        s.cpu_micros_in_shim as f64 / 1e6
    );
    let _ = writeln!(
        out,
        "  make asked         {} module objects ({} queries, {} answers from cache, {:.3} s)",
        s.make_answers,
        s.make_answers - s.make_answers_cached,
        s.make_answers_cached,
        s.micros_in_make_queries as f64 / 1e6
    );
    let _ = writeln!(out, "  bad record lines   {}", s.bad_lines);
    bounded_list(&mut out, "anomalies", &s.anomalies, s.anomalies_not_listed);
    out
}

/// A count, the entries the summary kept, and how many it did not keep.
fn bounded_list(out: &mut String, label: &str, listed: &[String], not_listed: u64) {
    let _ = writeln!(out, "  {label:<18} {}", listed.len() as u64 + not_listed);
    for entry in listed {
        let _ = writeln!(out, "    {entry}");
    }
    if not_listed > 0 {
        let _ = writeln!(out, "    ... and {not_listed} more");
    }
}

/// `--shim-report`.
pub fn run(path: &Path, json: bool) -> ExitStatus {
    let mut summary = Summary::default();
    let read = crate::record::read_each(path, |r| match r {
        Ok(record) => summary.add(&record),
        Err(bad) => summary.add_bad_line(&bad),
    });
    if let Err(e) = read {
        error_line(format!("{}: {e}", path.display()));
        return ExitStatus::Failure;
    }
    if json {
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&summary).expect("summary serialises")
        ))
    } else {
        emit(&render_text(&summary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summarise(records: &[Record]) -> Summary {
        let mut s = Summary::default();
        for r in records {
            s.add(r);
        }
        s
    }
    use std::path::PathBuf;

    fn rec(decision: Outcome, reason: ReasonTag, lto: Option<Lto>, bytes: u64) -> Record {
        Record {
            time: 0.0,
            pid: 1,
            cwd: PathBuf::from("/k"),
            decision,
            detail: format!("{reason} detail"),
            reason,
            output: Some(PathBuf::from("lib/.tmp_a.o")),
            inputs: vec![PathBuf::from("lib/a.o")],
            lto,
            bytes,
            micros: 100,
            cpu_micros: 50,
            make: None,
        }
    }

    #[test]
    fn summary_counts_outcomes_bytes_and_time_and_lists_anomalies() {
        use Outcome::{Error, Forward, Passthrough};
        let s = summarise(&[
            rec(
                Passthrough,
                ReasonTag::FixedKernelKeepsBitcode,
                Some(Lto::Thin),
                10,
            ),
            rec(
                Passthrough,
                ReasonTag::FixedKernelKeepsBitcode,
                Some(Lto::Full),
                5,
            ),
            rec(Forward, ReasonTag::SingleObjectModule, Some(Lto::Thin), 0),
            rec(Forward, ReasonTag::NotRelocatable, None, 0),
            rec(Forward, ReasonTag::NoRecipe, Some(Lto::Thin), 0),
            rec(
                Error,
                ReasonTag::FixedKernelKeepsBitcode,
                Some(Lto::Thin),
                0,
            ),
        ]);
        assert_eq!(s.invocations, 6);
        assert_eq!(
            (s.passthroughs, s.passthroughs_thin, s.passthroughs_full),
            (2, 1, 1)
        );
        assert_eq!((s.forwards, s.errors), (3, 1));
        assert_eq!(s.forwards_by_reason["no-recipe"], 1);
        assert_eq!(s.bytes_copied, 15);
        assert_eq!(s.micros_in_shim, 600);
        assert_eq!(s.anomalies.len(), 2, "{:?}", s.anomalies);
        assert!(s.anomalies[0].contains("no-recipe detail"));
        let text = render_text(&s);
        assert!(
            text.contains("passthroughs       2 (thin 1, full 1)"),
            "{text}"
        );
        assert!(text.contains("unproven recipes   0\n"), "{text}");
    }

    /// Unproven recipes, forwarded or refused in strict mode, head the
    /// report, in their own list, not among the anomalies.
    #[test]
    fn unproven_recipes_are_listed_first() {
        let mut forwarded = rec(
            Outcome::Forward,
            ReasonTag::UnprovenRecipe,
            Some(Lto::Thin),
            0,
        );
        forwarded.detail = "unproven recipe: glob `*` at byte 9".into();
        let refused = rec(
            Outcome::Error,
            ReasonTag::UnprovenRecipe,
            Some(Lto::Thin),
            0,
        );
        let s = summarise(&[
            rec(Outcome::Forward, ReasonTag::NoRecipe, Some(Lto::Thin), 0),
            forwarded,
            refused,
        ]);
        assert_eq!(s.unproven.len(), 2, "{s:?}");
        assert_eq!(s.anomalies.len(), 1, "{s:?}");
        assert_eq!(s.forwards_by_reason["unproven-recipe"], 1);
        let text = render_text(&s);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "  unproven recipes   2", "{text}");
        assert_eq!(
            lines[2],
            "    forward lib/.tmp_a.o in /k: unproven recipe: glob `*` at byte 9"
        );
        assert!(lines[3].starts_with("    error lib/.tmp_a.o"), "{text}");
        assert_eq!(lines[4], "  invocations        3");
    }

    #[test]
    fn bad_lines_are_anomalies_and_the_list_stays_bounded() {
        let mut s = Summary::default();
        s.add_bad_line(&crate::record::BadLine {
            line: 7,
            why: "not a record: EOF".into(),
        });
        assert_eq!(s.bad_lines, 1);
        assert_eq!(s.anomalies, ["record line 7: not a record: EOF"]);
        let mut r = rec(Outcome::Error, ReasonTag::NoRecipe, None, 0);
        r.detail = "é".repeat(MAX_ANOMALY_BYTES);
        for _ in 0..MAX_ANOMALIES_LISTED + 5 {
            s.add(&r);
        }
        assert_eq!(s.anomalies.len(), MAX_ANOMALIES_LISTED);
        assert!(s.anomalies.iter().all(|a| a.len() <= MAX_ANOMALY_BYTES + 3));
        assert_eq!(s.anomalies_not_listed, 6, "the bad line took one place");
        assert!(render_text(&s).contains("... and 6 more"));
    }
}
