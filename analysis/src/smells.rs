//! Smells: metrics over their configured [`Thresholds`].
//!
//! A finding is a warning; it is an error when the value is at least twice its threshold
//! (a function with cyclomatic complexity 18 against Credo's 9 is not a borderline case).

use crate::metrics::{FunctionMetrics, ModuleMetrics};
use crate::report::{Finding, Level};
use crate::rule::Rule;
use crate::thresholds::Thresholds;

fn level(value: u32, max: u32) -> Level {
    if u64::from(value) >= 2 * u64::from(max.max(1)) {
        Level::Error
    } else {
        Level::Warning
    }
}

/// The findings for these functions and modules.
pub fn find_smells(
    functions: &[FunctionMetrics],
    modules: &[ModuleMetrics],
    thresholds: &Thresholds,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in functions {
        let limits = thresholds.for_language(f.language);
        let checks = [
            (
                Rule::CyclomaticComplexity,
                f.cyclomatic,
                limits.max_cyclomatic,
            ),
            (Rule::CognitiveComplexity, f.cognitive, limits.max_cognitive),
            (Rule::NestingDepth, f.nesting, limits.max_nesting),
            (Rule::FunctionArity, f.arity, limits.max_arity),
            (Rule::LongFunction, f.lines.ploc, limits.max_function_lines),
        ];
        for (rule, value, max) in checks {
            let Some(max) = max else { continue };
            if value <= max {
                continue;
            }
            let symbol = f.qualified_name();
            out.push(Finding {
                rule,
                level: level(value, max),
                message: format!("{symbol}: {} {value} (max {max})", rule.quantity()),
                file: f.file.clone(),
                language: f.language,
                line: f.line,
                column: f.column,
                end_line: f.end_line,
                symbol,
                value: f64::from(value),
                threshold: f64::from(max),
            });
        }
    }
    for m in modules {
        let limits = thresholds.for_language(m.language);
        let checks = [
            (Rule::LargeModule, m.lines.sloc, limits.max_module_lines),
            (
                Rule::ModuleFunctionCount,
                m.functions,
                limits.max_module_functions,
            ),
        ];
        for (rule, value, max) in checks {
            let Some(max) = max else { continue };
            if value <= max {
                continue;
            }
            out.push(Finding {
                rule,
                level: level(value, max),
                message: format!("{}: {} {value} (max {max})", m.name, rule.quantity()),
                file: m.file.clone(),
                language: m.language,
                line: m.line,
                column: 1,
                end_line: m.end_line,
                symbol: m.name.clone(),
                value: f64::from(value),
                threshold: f64::from(max),
            });
        }
    }
    out
}
