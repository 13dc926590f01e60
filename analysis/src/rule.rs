//! The rules a finding can come from.

use serde::{Deserialize, Serialize};

/// A check that produces findings. The `id` is stable (SARIF `ruleId`, `--fail-on` filters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    CyclomaticComplexity,
    CognitiveComplexity,
    NestingDepth,
    FunctionArity,
    LongFunction,
    LargeModule,
    ModuleFunctionCount,
    DeadCode,
    FunctionCycle,
    ModuleCycle,
}

impl Rule {
    /// Every rule, in report order.
    pub const ALL: [Rule; 10] = [
        Rule::CyclomaticComplexity,
        Rule::CognitiveComplexity,
        Rule::NestingDepth,
        Rule::FunctionArity,
        Rule::LongFunction,
        Rule::LargeModule,
        Rule::ModuleFunctionCount,
        Rule::DeadCode,
        Rule::FunctionCycle,
        Rule::ModuleCycle,
    ];

    /// Stable kebab-case id.
    pub fn id(self) -> &'static str {
        match self {
            Rule::CyclomaticComplexity => "cyclomatic-complexity",
            Rule::CognitiveComplexity => "cognitive-complexity",
            Rule::NestingDepth => "nesting-depth",
            Rule::FunctionArity => "function-arity",
            Rule::LongFunction => "long-function",
            Rule::LargeModule => "large-module",
            Rule::ModuleFunctionCount => "module-function-count",
            Rule::DeadCode => "dead-code",
            Rule::FunctionCycle => "function-cycle",
            Rule::ModuleCycle => "module-cycle",
        }
    }

    /// One-line description (SARIF `shortDescription`).
    pub fn description(self) -> &'static str {
        match self {
            Rule::CyclomaticComplexity => "Function has too many independent paths",
            Rule::CognitiveComplexity => "Function is too hard to follow",
            Rule::NestingDepth => "Control structures are nested too deeply",
            Rule::FunctionArity => "Function takes too many parameters",
            Rule::LongFunction => "Function has too many lines of code",
            Rule::LargeModule => "Module has too many lines",
            Rule::ModuleFunctionCount => "Module defines too many functions",
            Rule::DeadCode => "Function is unreachable from every root of the call graph",
            Rule::FunctionCycle => "Functions call each other in a cycle",
            Rule::ModuleCycle => "Modules depend on each other in a cycle",
        }
    }

    /// The measured quantity, for messages ("cyclomatic complexity 14 (max 9)").
    pub fn quantity(self) -> &'static str {
        match self {
            Rule::CyclomaticComplexity => "cyclomatic complexity",
            Rule::CognitiveComplexity => "cognitive complexity",
            Rule::NestingDepth => "nesting depth",
            Rule::FunctionArity => "arity",
            Rule::LongFunction => "code lines",
            Rule::LargeModule => "lines",
            Rule::ModuleFunctionCount => "functions",
            Rule::DeadCode => "lines",
            Rule::FunctionCycle => "functions in the cycle",
            Rule::ModuleCycle => "modules in the cycle",
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }
}
