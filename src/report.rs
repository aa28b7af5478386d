//! `--shim-report`: what the shim did in a build, from its audit record, in
//! a form a release engineer can paste into a ticket (or `--json`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::record::Record;

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

/// Reasons that mean the shim could not follow kbuild's intent with
/// certainty, or met something it does not understand.
const ANOMALOUS_FORWARDS: &[&str] = &[
    "no-recipe",
    "unknown-option",
    "corrupt-bitcode",
    "compile-not-found",
    "module-names-missing",
    "response-file",
    "input-unreadable",
    "same-file",
];

pub fn summarise(records: &[Record]) -> Summary {
    let mut s = Summary::default();
    for r in records {
        s.invocations += 1;
        s.micros_in_shim += r.micros;
        match r.decision.as_str() {
            "passthrough" => {
                s.passthroughs += 1;
                s.bytes_copied += r.bytes;
                match r.lto.as_deref() {
                    Some("thin") => s.passthroughs_thin += 1,
                    Some("full") => s.passthroughs_full += 1,
                    _ => {}
                }
            }
            "forward" => {
                s.forwards += 1;
                *s.forwards_by_reason.entry(r.reason.clone()).or_default() += 1;
            }
            _ => s.errors += 1,
        }
        let anomalous_forward =
            r.decision == "forward" && ANOMALOUS_FORWARDS.contains(&r.reason.as_str());
        if r.decision == "error" || anomalous_forward {
            s.anomalies.push(format!(
                "{} {} in {}: {}",
                r.decision,
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
    use std::path::PathBuf;

    fn rec(decision: &str, reason: &str, lto: Option<&str>, bytes: u64) -> Record {
        Record {
            time: 0.0,
            pid: 1,
            cwd: PathBuf::from("/k"),
            decision: decision.into(),
            reason: reason.into(),
            detail: format!("{reason} detail"),
            output: Some(PathBuf::from("lib/.tmp_a.o")),
            inputs: vec![PathBuf::from("lib/a.o")],
            lto: lto.map(str::to_string),
            bytes,
            micros: 100,
        }
    }

    #[test]
    fn totals_and_anomalies() {
        let s = summarise(&[
            rec(
                "passthrough",
                "fixed-kernel-keeps-bitcode",
                Some("thin"),
                10,
            ),
            rec("passthrough", "fixed-kernel-keeps-bitcode", Some("full"), 5),
            rec("forward", "single-object-module", Some("thin"), 0),
            rec("forward", "not-relocatable", None, 0),
            rec("forward", "no-recipe", Some("thin"), 0),
            rec("error", "fixed-kernel-keeps-bitcode", Some("thin"), 0),
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
