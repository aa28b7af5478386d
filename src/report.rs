//! `--shim-report`: what the shim did in a build, from its audit record, in
//! a form a release engineer can paste into a ticket (or `--json`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::lto::Lto;
use crate::record::{Outcome, Record};

/// Totals over a record file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
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
    /// Calls worth a look, one line each.
    pub anomalies: Vec<String>,
}

pub fn summarise(records: &[Record]) -> Summary {
    let mut s = Summary::default();
    for r in records {
        s.invocations += 1;
        s.micros_in_shim += r.micros;
        let anomalous = match r.decision {
            Outcome::Passthrough => {
                s.passthroughs += 1;
                s.bytes_copied += r.bytes;
                match r.lto {
                    Some(Lto::Thin) => s.passthroughs_thin += 1,
                    Some(Lto::Full) => s.passthroughs_full += 1,
                    _ => {}
                }
                false
            }
            Outcome::Forward => {
                s.forwards += 1;
                *s.forwards_by_reason
                    .entry(r.reason.as_str().to_string())
                    .or_default() += 1;
                r.reason.is_anomalous()
            }
            Outcome::Error => {
                s.errors += 1;
                true
            }
        };
        if anomalous {
            s.anomalies.push(format!(
                "{} {} in {}: {}",
                r.decision.as_str(),
                r.output
                    .as_ref()
                    .map(|o| o.display().to_string())
                    .unwrap_or_else(|| "(no output)".into()),
                r.cwd.display(),
                r.detail
            ));
        }
    }
    s
}

/// The human form: fixed labels, one figure per line.
pub fn render_text(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "kbuild-ld-shim report");
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
        "  time in shim       {:.3} s",
        s.micros_in_shim as f64 / 1e6
    );
    let _ = writeln!(out, "  anomalies          {}", s.anomalies.len());
    for a in &s.anomalies {
        let _ = writeln!(out, "    {a}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::ReasonTag;
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
        }
    }

    #[test]
    fn totals_and_anomalies() {
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
    }
}
