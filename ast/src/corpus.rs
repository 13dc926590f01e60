//! A deterministic generator of realistic Elixir projects, for benchmarks of this layer and
//! the ones above it (CPG, analysis).
//!
//! The same `(target_lines, seed)` always writes byte-identical files. The code looks like a
//! Phoenix-era business application: contexts with structs, multi-clause functions with
//! guards, `case`/`cond`/`with`, pipes, captures and anonymous functions, GenServer workers
//! with callbacks, aliases/imports, calls between generated modules (so a call graph has
//! edges to resolve) and ExUnit test scripts.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::language::Language;

/// What [`generate_elixir_corpus`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpusSummary {
    pub files: usize,
    pub lines: usize,
    pub bytes: u64,
    pub modules: usize,
    pub functions: usize,
}

/// splitmix64: tiny, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const CONTEXTS: &[&str] = &[
    "Accounts",
    "Billing",
    "Catalog",
    "Inventory",
    "Orders",
    "Shipping",
    "Notifications",
    "Reports",
    "Search",
    "Payments",
    "Reviews",
    "Support",
];
const NOUNS: &[&str] = &[
    "user", "invoice", "product", "order", "item", "address", "payment", "ticket", "review",
    "report", "session", "token", "coupon", "refund", "shipment", "message",
];
const VERBS: &[&str] = &[
    "fetch",
    "create",
    "update",
    "delete",
    "validate",
    "normalize",
    "compute",
    "render",
    "apply",
    "merge",
    "filter",
    "summarize",
    "publish",
    "expire",
    "schedule",
    "reconcile",
];
const FIELDS: &[&str] = &[
    "id",
    "name",
    "email",
    "status",
    "amount",
    "currency",
    "inserted_at",
    "quantity",
    "price",
    "total",
    "notes",
    "tags",
];
const STATUSES: &[&str] = &[":pending", ":active", ":failed", ":done", ":archived"];
const STD_CALLS: &[&str] = &[
    "Enum.map(&1, &to_string/1)",
    "Enum.filter(&1, &(&1 != nil))",
    "Enum.reduce(&1, 0, fn x, acc -> acc + x end)",
    "Map.get(&1, :id)",
    "Map.put(&1, :updated, true)",
    "String.trim(&1)",
    "Keyword.get(&1, :limit, 10)",
    "List.flatten(&1)",
];

struct ModuleInfo {
    name: String,
    /// Public functions as (name, arity).
    functions: Vec<(String, usize)>,
}

fn camel(s: &str) -> String {
    s.split('_')
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// Writes an Elixir project of about `target_lines` lines under `dir` (created if missing):
/// `mix.exs`, `lib/<app>/<context>/*.ex` and `test/**/*_test.exs`. Deterministic in `seed`.
pub fn generate_elixir_corpus(
    dir: &Path,
    target_lines: usize,
    seed: u64,
) -> io::Result<CorpusSummary> {
    let mut rng = Rng(seed);
    let mut summary = CorpusSummary {
        files: 0,
        lines: 0,
        bytes: 0,
        modules: 0,
        functions: 0,
    };
    let write = |rel: &str, text: &str, summary: &mut CorpusSummary| -> io::Result<()> {
        let path = dir.join(rel);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p)?;
        }
        fs::write(&path, text)?;
        summary.files += 1;
        summary.lines += text.lines().count();
        summary.bytes += text.len() as u64;
        Ok(())
    };
    let mix = "defmodule Corpus.MixProject do\n  use Mix.Project\n\n  def project do\n    [app: :corpus, version: \"0.1.0\", elixir: \"~> 1.15\", deps: deps()]\n  end\n\n  defp deps, do: []\nend\n";
    write("mix.exs", mix, &mut summary)?;

    let mut modules: Vec<ModuleInfo> = Vec::new();
    let mut index = 0usize;
    while summary.lines < target_lines {
        let context = CONTEXTS[index % CONTEXTS.len()];
        let noun = rng.pick(NOUNS);
        let worker = rng.chance(30);
        let suffix = if worker { "Worker" } else { "Service" };
        let module = format!("Corpus.{context}.{}{suffix}{index}", camel(noun));
        let file = format!(
            "lib/corpus/{}/{}_{}{}.ex",
            context.to_lowercase(),
            noun,
            suffix.to_lowercase(),
            index
        );
        let (text, info) = module_source(&mut rng, &module, noun, worker, &modules);
        summary.modules += 1;
        summary.functions += info.functions.len();
        write(&file, &text, &mut summary)?;
        if index % 4 == 0 {
            let test = test_source(&mut rng, &info);
            let test_file = format!(
                "test/corpus/{}/{}_{}_test.exs",
                context.to_lowercase(),
                noun,
                index
            );
            write(&test_file, &test, &mut summary)?;
            summary.modules += 1;
        }
        modules.push(info);
        index += 1;
    }
    Ok(summary)
}

fn module_source(
    rng: &mut Rng,
    module: &str,
    noun: &str,
    worker: bool,
    earlier: &[ModuleInfo],
) -> (String, ModuleInfo) {
    let mut s = String::new();
    let mut functions: Vec<(String, usize)> = Vec::new();
    // Up to three earlier modules this one calls into, aliased.
    let mut deps: Vec<&ModuleInfo> = Vec::new();
    for _ in 0..3 {
        if earlier.is_empty() {
            break;
        }
        let d = &earlier[rng.below(earlier.len())];
        if !d.functions.is_empty() && !deps.iter().any(|x| x.name == d.name) {
            deps.push(d);
        }
    }
    let _ = writeln!(s, "defmodule {module} do");
    let _ = writeln!(
        s,
        "  @moduledoc \"\"\"\n  Handles {noun} records for the {} context.\n  \"\"\"",
        module.split('.').nth(1).unwrap_or("core")
    );
    if worker {
        let _ = writeln!(s, "  use GenServer");
    }
    for d in &deps {
        let _ = writeln!(s, "  alias {}", d.name);
    }
    let _ = writeln!(s, "  import Enum, only: [map: 2, filter: 2, reduce: 3]");
    let _ = writeln!(s, "  require Logger\n");
    let fields: Vec<&str> = (0..4).map(|_| rng.pick(FIELDS)).collect();
    let _ = writeln!(
        s,
        "  defstruct [{}]\n",
        fields
            .iter()
            .map(|f| format!(":{f}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(s, "  @timeout {}\n", 1000 + rng.below(9000));

    if worker {
        let _ = writeln!(s, "  def start_link(opts \\\\ []) do\n    GenServer.start_link(__MODULE__, opts, name: __MODULE__)\n  end\n");
        let _ = writeln!(s, "  @impl true\n  def init(opts) do\n    state = %{{items: [], limit: Keyword.get(opts, :limit, 100), status: :idle}}\n    {{:ok, state}}\n  end\n");
        let _ = writeln!(s, "  @impl true\n  def handle_call(:list, _from, state), do: {{:reply, state.items, state}}\n\n  def handle_call({{:add, item}}, _from, %{{items: items, limit: limit}} = state)\n      when length(items) < limit do\n    {{:reply, :ok, %{{state | items: [item | items]}}}}\n  end\n\n  def handle_call({{:add, _item}}, _from, state), do: {{:reply, {{:error, :full}}, state}}\n");
        let _ = writeln!(s, "  @impl true\n  def handle_cast(:reset, state) do\n    {{:noreply, %{{state | items: []}}}}\n  end\n");
        let _ = writeln!(s, "  @impl true\n  def handle_info(:tick, state) do\n    Process.send_after(self(), :tick, @timeout)\n    {{:noreply, state}}\n  end\n\n  def handle_info(msg, state) do\n    Logger.warning(\"unexpected #{{inspect(msg)}}\")\n    {{:noreply, state}}\n  end\n");
        functions.extend([("start_link".to_owned(), 1), ("init".to_owned(), 1)]);
    }

    let n_funs = 4 + rng.below(7);
    let mut private: Vec<String> = Vec::new();
    for i in 0..n_funs {
        let verb = rng.pick(VERBS);
        let name = format!("{verb}_{noun}_{i}");
        let arity = 1 + rng.below(3);
        let params: Vec<String> = (0..arity).map(|k| format!("arg{k}")).collect();
        let helper = format!("do_{name}");
        let _ = writeln!(s, "  @doc \"{} the {noun}.\"", camel(verb));
        let _ = writeln!(
            s,
            "  @spec {name}({}) :: {{:ok, term()}} | {{:error, atom()}}",
            vec!["term()"; arity].join(", ")
        );
        // Clause 1: nil guard.
        let _ = writeln!(
            s,
            "  def {name}(nil{}), do: {{:error, :not_found}}\n",
            ", _".repeat(arity - 1)
        );
        // Clause 2: map pattern with guard and a body.
        let field = rng.pick(FIELDS);
        let _ = writeln!(
            s,
            "  def {name}(%{{{field}: value}} = record{}) when not is_nil(value) do",
            params[1..]
                .iter()
                .map(|p| format!(", {p}"))
                .collect::<String>()
        );
        match rng.below(3) {
            0 => {
                let _ = writeln!(s, "    record\n    |> Map.from_struct()\n    |> map(fn {{k, v}} -> {{k, normalize_value(v)}} end)\n    |> filter(&valid_entry?/1)\n    |> {helper}({})", params[1..].join(", "));
            }
            1 => {
                let _ = writeln!(s, "    case {helper}(record{}) do\n      {{:ok, result}} -> {{:ok, Map.put(result, :{field}, value)}}\n      {{:error, reason}} = err ->\n        Logger.error(\"{name} failed: #{{inspect(reason)}}\")\n        err\n    end", params[1..].iter().map(|p| format!(", {p}")).collect::<String>());
            }
            _ => {
                let _ = writeln!(s, "    with {{:ok, checked}} <- validate_record(record),\n         {{:ok, result}} <- {helper}(checked{}) do\n      {{:ok, result}}\n    else\n      {{:error, _}} = err -> err\n      _ -> {{:error, :invalid}}\n    end", params[1..].iter().map(|p| format!(", {p}")).collect::<String>());
            }
        }
        let _ = writeln!(s, "  end\n");
        // Clause 3: catch-all.
        let _ = writeln!(
            s,
            "  def {name}({}), do: {{:error, :invalid}}\n",
            vec!["_"; arity].join(", ")
        );
        functions.push((name.clone(), arity));

        // The private helper, with cond and a cross-module call.
        let _ = writeln!(
            s,
            "  defp {helper}(record{}) do",
            params[1..]
                .iter()
                .map(|p| format!(", {p}"))
                .collect::<String>()
        );
        let _ = writeln!(
            s,
            "    score = reduce(Map.values(record), 0, fn v, acc -> acc + weight(v) end)\n"
        );
        let _ = writeln!(s, "    cond do\n      score > {} -> {{:ok, %{{record: record, score: score, status: {}}}}}\n      score > 0 -> {{:ok, %{{record: record, score: score, status: {}}}}}\n      true -> {{:error, :empty}}\n    end", 10 + rng.below(90), rng.pick(STATUSES), rng.pick(STATUSES));
        if let Some(d) = deps.get(rng.below(deps.len().max(1))) {
            let (fname, farity) = &d.functions[rng.below(d.functions.len())];
            let alias = d.name.rsplit('.').next().unwrap_or(&d.name);
            let args: Vec<String> = (0..*farity)
                .map(|k| {
                    if k == 0 {
                        "record".to_owned()
                    } else {
                        format!(":opt{k}")
                    }
                })
                .collect();
            let _ = writeln!(
                s,
                "    |> tap(fn _ -> {alias}.{fname}({}) end)",
                args.join(", ")
            );
        }
        let _ = writeln!(s, "  end\n");
        private.push(helper);
    }

    // Shared private helpers every module calls.
    let std_call = rng.pick(STD_CALLS).replace("&1", "value");
    let _ = writeln!(s, "  defp normalize_value(value) when is_binary(value), do: String.trim(value)\n  defp normalize_value(value) when is_list(value), do: {std_call}\n  defp normalize_value(value), do: value\n");
    let _ = writeln!(s, "  defp valid_entry?({{_key, nil}}), do: false\n  defp valid_entry?({{_key, _value}}), do: true\n");
    let _ = writeln!(s, "  defp validate_record(%{{}} = record), do: {{:ok, record}}\n  defp validate_record(_), do: {{:error, :not_a_map}}\n");
    let _ = writeln!(s, "  defp weight(v) when is_number(v), do: v\n  defp weight(v) when is_binary(v), do: byte_size(v)\n  defp weight(_), do: 1");
    let _ = writeln!(s, "end");
    (
        s,
        ModuleInfo {
            name: module.to_owned(),
            functions,
        },
    )
}

fn test_source(rng: &mut Rng, info: &ModuleInfo) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "defmodule {}Test do\n  use ExUnit.Case, async: true\n  alias {}\n",
        info.name, info.name
    );
    let alias = info.name.rsplit('.').next().unwrap_or(&info.name);
    for (name, arity) in info
        .functions
        .iter()
        .filter(|(n, _)| n != "start_link" && n != "init")
        .take(4)
    {
        let nils = vec!["nil"; *arity].join(", ");
        let _ = writeln!(s, "  test \"{name} rejects nil\" do\n    assert {alias}.{name}({nils}) == {{:error, :not_found}}\n  end\n");
        if rng.chance(50) {
            let _ = writeln!(s, "  test \"{name} rejects garbage\" do\n    assert {{:error, _}} = {alias}.{name}({})\n  end\n", vec![":garbage"; *arity].join(", "));
        }
    }
    let _ = writeln!(s, "end");
    s
}

/// A file whose function `run` nests `depth` `if`s around a call to `helper`, followed by
/// `helper` itself: the adversarial input for every recursive walk over syntax trees (tests
/// of this layer and the ones above it run it on a small stack).
pub fn nested_ifs_source(language: Language, depth: usize) -> String {
    let (head, open, close, tail) = match language {
        Language::Elixir => (
            "defmodule Deep do\n  def run(x) do\n",
            "if x do\n",
            "end\n",
            "  end\n\n  def helper(x), do: x\nend\n",
        ),
        Language::Rust => (
            "fn run(x: bool) -> u32 {\n",
            "if x {\n",
            "} else { 0 }\n",
            "}\n\nfn helper(_x: bool) -> u32 { 1 }\n",
        ),
    };
    let mut s = String::with_capacity(head.len() + depth * (open.len() + close.len()) + 64);
    s.push_str(head);
    s.push_str(&open.repeat(depth));
    s.push_str("helper(x)\n");
    s.push_str(&close.repeat(depth));
    s.push_str(tail);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_target_reached() {
        let (da, db, dc) = (
            tempfile::tempdir().expect("tmp"),
            tempfile::tempdir().expect("tmp"),
            tempfile::tempdir().expect("tmp"),
        );
        let (a, b) = (da.path(), db.path());
        let sa = generate_elixir_corpus(a, 2_000, 7).expect("gen a");
        let sb = generate_elixir_corpus(b, 2_000, 7).expect("gen b");
        assert_eq!(sa, sb);
        assert!(sa.lines >= 2_000);
        let files = crate::discover_files(a).expect("discover");
        assert_eq!(files.len(), sa.files);
        for f in &files {
            let x = fs::read(&f.path).expect("read a");
            let y = fs::read(b.join(&f.relative)).expect("read b");
            assert_eq!(x, y, "{}", f.relative);
            let parsed =
                crate::parse_source(&f.relative, f.language, &x, &crate::ParseOptions::default());
            assert!(
                !parsed.model.has_errors(),
                "{}: {:?}",
                f.relative,
                parsed.model.diagnostics
            );
        }
        let other = generate_elixir_corpus(dc.path(), 2_000, 8).expect("gen c");
        assert_ne!(other.bytes, sa.bytes);
    }
}
