//! `elixir-scope analyze PATH`: parse → graphs → analyses on the supervised layers, in process.

use crate::cli::AnalyzeArgs;
use elixir_scope_analysis::{
    analyze_path, default_cache_dir, evaluate_fail_on, render, AnalysisKind, AnalyzeError,
    AnalyzeOptions, FailOn, Format, Progress,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::str::FromStr;

/// Exit status when findings reach `--fail-on` (or the report is partial with
/// `--fail-on-partial`).
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status for bad input: a missing path, a file, no supported files, a bad option.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status when the run itself failed (a layer could not start, the output not written).
pub const EXIT_FAILURE: u8 = 3;

/// Runs the command and returns the process exit code.
pub async fn run(args: &AnalyzeArgs) -> ExitCode {
    match analyze(args).await {
        Ok(code) => code,
        Err((code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

async fn analyze(args: &AnalyzeArgs) -> Result<ExitCode, (u8, String)> {
    let bad = |e: AnalyzeError| (EXIT_BAD_INPUT, e.to_string());
    let format = Format::from_str(&args.format).map_err(bad)?;
    let fail_on = FailOn::from_str(&args.fail_on).map_err(bad)?;
    let analyses = args
        .analyses
        .iter()
        .map(|name| {
            serde_json::from_value::<AnalysisKind>(serde_json::Value::String(
                name.trim().to_string(),
            ))
            .map_err(|_| {
                (
                    EXIT_BAD_INPUT,
                    format!(
                        "unknown analysis {name:?} (expected metrics, smells, dead_code or cycles)"
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cache_dir = if args.no_cache {
        None
    } else {
        args.cache_dir.clone().or_else(default_cache_dir)
    };
    let options = AnalyzeOptions {
        analyses,
        cache_dir,
        ..AnalyzeOptions::default()
    };

    let bar = (!args.no_progress && std::io::stderr().is_terminal()).then(new_bar);
    let on_progress = |progress: Progress| {
        if let Some(bar) = &bar {
            show(bar, progress);
        }
    };
    let result = analyze_path(&args.path, options, on_progress).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result.map_err(|e| {
        let code = match e {
            AnalyzeError::NotFound { .. }
            | AnalyzeError::NotADirectory { .. }
            | AnalyzeError::NoSupportedFiles { .. }
            | AnalyzeError::InvalidOption(_) => EXIT_BAD_INPUT,
            _ => EXIT_FAILURE,
        };
        (code, e.to_string())
    })?;

    let rendered = render(&report, format).map_err(|e| (EXIT_FAILURE, e.to_string()))?;
    match &args.output {
        Some(file) => std::fs::write(file, rendered.as_bytes()).map_err(|e| {
            (
                EXIT_FAILURE,
                format!("cannot write {}: {e}", file.display()),
            )
        })?,
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = out.write_all(rendered.as_bytes()).and_then(|_| out.flush());
        }
    }
    let verdict = evaluate_fail_on(&report, fail_on);
    if verdict.partial {
        eprintln!(
            "warning: {} analysis(es) failed; the report is partial",
            report.failures.len()
        );
    }
    if verdict.failed || (verdict.partial && args.fail_on_partial) {
        return Ok(ExitCode::from(EXIT_FINDINGS));
    }
    Ok(ExitCode::SUCCESS)
}

fn new_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<10} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

fn show(bar: &ProgressBar, progress: Progress) {
    match progress {
        Progress::Discovered { files } => {
            bar.set_message("discovered");
            bar.set_length(files as u64);
        }
        Progress::Parsed { done, total } => {
            bar.set_message("parsing");
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        Progress::Measured { done, total } => {
            bar.set_message("measuring");
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        Progress::AnalysisDone { analysis, ok } => {
            bar.println(format!(
                "{analysis:?}: {}",
                if ok { "done" } else { "FAILED" }
            ));
        }
    }
}
