//! The typed graph of one function (Joern's vocabulary where it fits): nodes with numeric
//! ids and a kind, edges with a kind (AST, CFG, CDG, REACHING_DEF, ARGUMENT) and, for
//! control flow, a label saying why the edge is taken.

use serde::{Deserialize, Serialize};

/// Index of a node inside its [`MethodGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The index as usize, for slices.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a variable binding inside [`MethodGraph::variables`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VarId(pub u32);

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// The function's entry (Joern METHOD).
    Method,
    /// The single exit every return, raise and panic reaches (Joern METHOD_RETURN).
    MethodReturn,
    /// A Rust parameter (Elixir parameters are bound by the clause head, a `JumpTarget`).
    Parameter,
    /// A call, macro invocation or Elixir pipe stage.
    Call,
    /// A bare variable read.
    Identifier,
    /// A literal value.
    Literal,
    /// The decision point of `if`/`case`/`cond`/`receive`/`with`/`try`/`match`/loops/`?`.
    ControlStructure,
    /// A pattern the flow matches against: a function clause head, a `case`/`match` arm,
    /// a `with` clause, a rescue/catch clause.
    JumpTarget,
    /// `=` match, `let`, assignment.
    Assignment,
    /// Rust `return`, `break`, `continue`.
    Return,
    /// Any other expression evaluated as one step (operators, containers, lambdas).
    Expression,
}

/// What an edge means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// Syntax parent to child (control structure to the nodes of its branches).
    Ast,
    /// Control flow successor.
    Cfg,
    /// Control dependence: the target runs or not depending on the source's outcome.
    Cdg,
    /// A definition reaching a use of the same variable.
    ReachingDef,
    /// A call to the call whose value it receives as an argument.
    Argument,
}

/// Why a control flow edge is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CfgLabel {
    /// Unconditional.
    Always,
    /// Condition true.
    True,
    /// Condition false.
    False,
    /// Pattern (and guard) matched.
    Match,
    /// Pattern or guard did not match: try the next clause.
    NoMatch,
    /// An exception raised inside a `try` body reaching its handlers.
    Exception,
    /// `raise`/`reraise`.
    Raise,
    /// `throw`.
    Throw,
    /// `exit`.
    Exit,
    /// Rust `panic!`-family macro or failed assertion.
    Panic,
    /// Rust `?` returning the error early.
    EarlyReturn,
    /// `return`.
    Return,
    /// `break` (possibly labelled).
    Break,
    /// `continue` (possibly labelled).
    Continue,
    /// Back edge to a loop head after the body.
    Loop,
    /// `receive ... after` timeout.
    Timeout,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    pub kind: NodeKind,
    /// Source text, shortened to [`CODE_LIMIT`] bytes.
    pub code: String,
    /// Call name (`Mod.fun`, `a::b`, `.method`, `panic!`) or control keyword (`case`, `if`).
    pub name: Option<String>,
    /// Byte range in the file.
    pub start_byte: u32,
    pub end_byte: u32,
    /// 1-based line.
    pub line: u32,
    /// Variables this node binds or assigns.
    pub defs: Vec<VarId>,
    /// Variables this node reads.
    pub uses: Vec<VarId>,
}

/// Longest `code` kept on a node; the rest is cut at a char boundary with `…`.
pub const CODE_LIMIT: usize = 80;

/// One edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: EdgeKind,
    /// Set for CFG and CDG edges (for CDG: the label of the deciding CFG edge).
    pub label: Option<CfgLabel>,
    /// Set for REACHING_DEF edges.
    pub var: Option<VarId>,
}

/// A variable binding. Each `let`, Elixir match or pattern binding creates a new one, so
/// shadowing and rebinding give distinct variables with the same name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    pub name: String,
    /// Line of the binding.
    pub line: u32,
    /// The node that binds it (a later `=` to a Rust `mut` variable also defines it).
    pub bound_at: NodeId,
}

/// The graph of one function: every clause of an Elixir function, or one Rust `fn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodGraph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub variables: Vec<Variable>,
    pub entry: NodeId,
    pub exit: NodeId,
    /// Set when data flow analysis stopped at its work bound: reaching-def edges are then
    /// missing for this function.
    pub dataflow_truncated: Option<WorkBoundHit>,
    /// Per edge kind, per node: indices into `edges` of the node's outgoing edges. Rebuilt by
    /// [`MethodGraph::index`]; not serialised.
    #[serde(skip)]
    out: Vec<Vec<Vec<u32>>>,
    #[serde(skip)]
    inc: Vec<Vec<Vec<u32>>>,
}

/// The data flow work bound was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkBoundHit {
    /// Node visits done before stopping.
    pub work_done: u64,
    pub limit: u64,
}

const EDGE_KINDS: usize = 5;

fn kind_slot(kind: EdgeKind) -> usize {
    match kind {
        EdgeKind::Ast => 0,
        EdgeKind::Cfg => 1,
        EdgeKind::Cdg => 2,
        EdgeKind::ReachingDef => 3,
        EdgeKind::Argument => 4,
    }
}

impl MethodGraph {
    pub(crate) fn new(nodes: Vec<Node>, edges: Vec<Edge>, variables: Vec<Variable>) -> Self {
        let mut g = MethodGraph {
            nodes,
            edges,
            variables,
            entry: NodeId(0),
            exit: NodeId(1),
            dataflow_truncated: None,
            out: Vec::new(),
            inc: Vec::new(),
        };
        g.index();
        g
    }

    /// Rebuilds the per-kind adjacency after deserialising or adding edges.
    pub fn index(&mut self) {
        let n = self.nodes.len();
        self.out = vec![vec![Vec::new(); n]; EDGE_KINDS];
        self.inc = vec![vec![Vec::new(); n]; EDGE_KINDS];
        for (i, e) in self.edges.iter().enumerate() {
            let k = kind_slot(e.kind);
            if e.from.index() < n && e.to.index() < n {
                self.out[k][e.from.index()].push(i as u32);
                self.inc[k][e.to.index()].push(i as u32);
            }
        }
    }

    pub(crate) fn add_edges(&mut self, edges: impl IntoIterator<Item = Edge>) {
        self.edges.extend(edges);
        self.index();
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index())
    }

    /// Outgoing edges of `node` of one kind.
    pub fn out_edges(&self, node: NodeId, kind: EdgeKind) -> impl Iterator<Item = &Edge> + '_ {
        self.adjacent(&self.out, node, kind)
    }

    /// Incoming edges of `node` of one kind.
    pub fn in_edges(&self, node: NodeId, kind: EdgeKind) -> impl Iterator<Item = &Edge> + '_ {
        self.adjacent(&self.inc, node, kind)
    }

    fn adjacent<'a>(
        &'a self,
        table: &'a [Vec<Vec<u32>>],
        node: NodeId,
        kind: EdgeKind,
    ) -> impl Iterator<Item = &'a Edge> + 'a {
        table
            .get(kind_slot(kind))
            .and_then(|per_node| per_node.get(node.index()))
            .into_iter()
            .flatten()
            .filter_map(|&i| self.edges.get(i as usize))
    }

    /// All edges of one kind.
    pub fn edges_of(&self, kind: EdgeKind) -> impl Iterator<Item = &Edge> + '_ {
        self.edges.iter().filter(move |e| e.kind == kind)
    }

    /// The control flow graph as a petgraph graph whose node indices equal [`NodeId`]s, for
    /// petgraph's algorithms.
    pub fn cfg_petgraph(&self) -> petgraph::graph::DiGraph<NodeId, CfgLabel> {
        let mut g = petgraph::graph::DiGraph::with_capacity(self.nodes.len(), self.edges.len());
        for n in &self.nodes {
            g.add_node(n.id);
        }
        for e in self.edges_of(EdgeKind::Cfg) {
            g.add_edge(
                petgraph::graph::NodeIndex::new(e.from.index()),
                petgraph::graph::NodeIndex::new(e.to.index()),
                e.label.unwrap_or(CfgLabel::Always),
            );
        }
        g
    }

    /// The variable with this id.
    pub fn variable(&self, id: VarId) -> Option<&Variable> {
        self.variables.get(id.0 as usize)
    }

    /// Control flow edges as `(from code, to code, label)`, handy for display and tests.
    pub fn cfg_triples(&self) -> Vec<(String, String, CfgLabel)> {
        self.edges_of(EdgeKind::Cfg)
            .filter_map(|e| {
                Some((
                    self.node(e.from)?.code.clone(),
                    self.node(e.to)?.code.clone(),
                    e.label.unwrap_or(CfgLabel::Always),
                ))
            })
            .collect()
    }

    /// Def-use pairs as `(variable name, def line, def code, use code)`.
    pub fn def_use(&self) -> Vec<DefUse> {
        self.edges_of(EdgeKind::ReachingDef)
            .filter_map(|e| {
                let var = e.var?;
                Some(DefUse {
                    var,
                    name: self.variable(var)?.name.clone(),
                    def: e.from,
                    use_site: e.to,
                })
            })
            .collect()
    }
}

/// One def-use chain link: `def` assigns `var`, and that value reaches `use_site`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefUse {
    pub var: VarId,
    pub name: String,
    pub def: NodeId,
    pub use_site: NodeId,
}
