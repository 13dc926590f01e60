//! Smell thresholds, per language, serde-configurable. A value strictly above its maximum is a
//! finding (Credo's "higher than", clippy's "more than"); `None` turns a check off.

use serde::{Deserialize, Serialize};

/// Limits for one language's functions and modules. In a config file, a language section
/// given replaces that language's defaults as a whole: a field it leaves out is off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LanguageThresholds {
    pub max_cyclomatic: Option<u32>,
    pub max_cognitive: Option<u32>,
    pub max_nesting: Option<u32>,
    pub max_arity: Option<u32>,
    /// Code lines (`ploc`: blank and comment-only lines not counted) of one function.
    pub max_function_lines: Option<u32>,
    /// Physical lines of one module.
    pub max_module_lines: Option<u32>,
    /// Functions defined directly in one module.
    pub max_module_functions: Option<u32>,
}

impl LanguageThresholds {
    /// Elixir defaults: Credo's for cyclomatic complexity (9), nesting (2) and arity (8);
    /// SonarSource's default for cognitive complexity (15). Credo has no length checks, so
    /// ours: 50 code lines per function, 500 lines and 40 functions per module.
    pub fn elixir() -> Self {
        LanguageThresholds {
            max_cyclomatic: Some(9),
            max_cognitive: Some(15),
            max_nesting: Some(2),
            max_arity: Some(8),
            max_function_lines: Some(50),
            max_module_lines: Some(500),
            max_module_functions: Some(40),
        }
    }

    /// Rust defaults: clippy's `too_many_arguments` (7), `too_many_lines` (100) and
    /// `cognitive_complexity` (25); clippy has no cyclomatic or nesting default (its
    /// `excessive_nesting` is off), so those are off. Ours: 1000 lines and 60 functions per
    /// module (Rust files hold tests and impls, so they run longer than Elixir modules).
    pub fn rust() -> Self {
        LanguageThresholds {
            max_cyclomatic: None,
            max_cognitive: Some(25),
            max_nesting: None,
            max_arity: Some(7),
            max_function_lines: Some(100),
            max_module_lines: Some(1000),
            max_module_functions: Some(60),
        }
    }
}

impl Default for LanguageThresholds {
    /// Every check off; a language's defaults come from [`Thresholds::default`].
    fn default() -> Self {
        LanguageThresholds {
            max_cyclomatic: None,
            max_cognitive: None,
            max_nesting: None,
            max_arity: None,
            max_function_lines: None,
            max_module_lines: None,
            max_module_functions: None,
        }
    }
}

/// Thresholds for both languages. `Default` is [`LanguageThresholds::elixir`] and
/// [`LanguageThresholds::rust`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    pub elixir: LanguageThresholds,
    pub rust: LanguageThresholds,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            elixir: LanguageThresholds::elixir(),
            rust: LanguageThresholds::rust(),
        }
    }
}

impl Thresholds {
    /// The limits for `language`.
    pub fn for_language(&self, language: elixir_scope_ast::Language) -> &LanguageThresholds {
        match language {
            elixir_scope_ast::Language::Elixir => &self.elixir,
            elixir_scope_ast::Language::Rust => &self.rust,
        }
    }
}
