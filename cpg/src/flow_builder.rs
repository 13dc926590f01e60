//! Language-neutral machinery the Elixir and Rust walkers share: node creation, the
//! "frontier" of dangling control flow edges, lexical scopes of variable bindings, and the
//! stacks of exception handlers and loops that exits jump to.

use std::collections::HashMap;

use elixir_scope_ast::tree_sitter::Node as TsNode;

use crate::graph::{
    CfgLabel, Edge, EdgeKind, MethodGraph, Node, NodeId, NodeKind, VarId, Variable, CODE_LIMIT,
};

/// Edges waiting for their target: the next node emitted receives all of them.
pub(crate) type Frontier = Vec<(NodeId, CfgLabel)>;

/// A loop that `break`/`continue` can target.
pub(crate) struct LoopFrame {
    pub label: Option<String>,
    /// None for a labelled block (break only).
    pub head: Option<NodeId>,
    pub breaks: Frontier,
}

pub(crate) struct FlowBuilder<'s> {
    pub source: &'s str,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    variables: Vec<Variable>,
    scopes: Vec<HashMap<String, VarId>>,
    /// Innermost last: where an exception raised here goes (a `try` handler), with the edges
    /// collected so far. Empty: to the method exit.
    pub handlers: Vec<Frontier>,
    pub loops: Vec<LoopFrame>,
    pub entry: NodeId,
    pub exit: NodeId,
}

impl<'s> FlowBuilder<'s> {
    pub fn new(source: &'s str, function: TsNode<'_>, name: &str) -> Self {
        let mut b = FlowBuilder {
            source,
            nodes: Vec::new(),
            edges: Vec::new(),
            variables: Vec::new(),
            scopes: vec![HashMap::new()],
            handlers: Vec::new(),
            loops: Vec::new(),
            entry: NodeId(0),
            exit: NodeId(1),
        };
        b.entry = b.add_node(NodeKind::Method, function, Some(name.to_owned()));
        b.nodes[0].code = name.to_owned();
        b.exit = b.add_node(NodeKind::MethodReturn, function, None);
        b.nodes[1].code = "RET".to_owned();
        b
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn text(&self, node: TsNode<'_>) -> &'s str {
        self.source.get(node.byte_range()).unwrap_or("")
    }

    pub fn add_node(&mut self, kind: NodeKind, at: TsNode<'_>, name: Option<String>) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node {
            id,
            kind,
            code: shorten(self.text(at)),
            name,
            start_byte: at.start_byte() as u32,
            end_byte: at.end_byte() as u32,
            line: at.start_position().row as u32 + 1,
            defs: Vec::new(),
            uses: Vec::new(),
        });
        id
    }

    /// Creates a node and connects the frontier to it.
    pub fn emit(
        &mut self,
        pred: Frontier,
        kind: NodeKind,
        at: TsNode<'_>,
        name: Option<String>,
    ) -> NodeId {
        let id = self.add_node(kind, at, name);
        self.connect_all(pred, id);
        id
    }

    pub fn connect_all(&mut self, pred: Frontier, to: NodeId) {
        for (from, label) in pred {
            self.cfg(from, to, label);
        }
    }

    pub fn cfg(&mut self, from: NodeId, to: NodeId, label: CfgLabel) {
        let edge = Edge {
            from,
            to,
            kind: EdgeKind::Cfg,
            label: Some(label),
            var: None,
        };
        if !self.edges.contains(&edge) {
            self.edges.push(edge);
        }
    }

    /// AST edges by syntax containment: each node's parent is the smallest node whose
    /// source range encloses it (ties: the later-created, which is the enclosing
    /// expression), else the method.
    fn ast_edges(&mut self) {
        let mut order: Vec<usize> = (2..self.nodes.len()).collect();
        order.sort_by_key(|&i| {
            let n = &self.nodes[i];
            (
                n.start_byte,
                std::cmp::Reverse(n.end_byte),
                std::cmp::Reverse(i),
            )
        });
        let mut stack: Vec<usize> = Vec::new();
        for i in order {
            let (start, end) = (self.nodes[i].start_byte, self.nodes[i].end_byte);
            while let Some(&top) = stack.last() {
                let t = &self.nodes[top];
                if t.start_byte <= start && end <= t.end_byte {
                    break;
                }
                stack.pop();
            }
            let parent = stack
                .last()
                .map(|&p| NodeId(p as u32))
                .unwrap_or(self.entry);
            self.edges.push(Edge {
                from: parent,
                to: NodeId(i as u32),
                kind: EdgeKind::Ast,
                label: None,
                var: None,
            });
            stack.push(i);
        }
    }

    pub fn argument(&mut self, call: NodeId, arg: NodeId) {
        self.edges.push(Edge {
            from: arg,
            to: call,
            kind: EdgeKind::Argument,
            label: None,
            var: None,
        });
    }

    /// An exit by exception: to the innermost handler, or the method exit.
    pub fn raise_from(&mut self, node: NodeId, label: CfgLabel) {
        match self.handlers.last_mut() {
            Some(h) => h.push((node, label)),
            None => {
                let exit = self.exit;
                self.cfg(node, exit, label);
            }
        }
    }

    pub fn set_code(&mut self, node: NodeId, code: String) {
        if let Some(n) = self.nodes.get_mut(node.index()) {
            n.code = code;
        }
    }

    pub fn push_scope(&mut self) {
        self.scopes.push(HashMap::new());
    }

    pub fn pop_scope(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    /// A new binding of `name` in the innermost scope, defined at `node`.
    pub fn bind(&mut self, node: NodeId, name: &str, at: TsNode<'_>) -> VarId {
        let id = VarId(self.variables.len() as u32);
        self.variables.push(Variable {
            name: name.to_owned(),
            line: at.start_position().row as u32 + 1,
            bound_at: node,
        });
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_owned(), id);
        }
        if let Some(n) = self.nodes.get_mut(node.index()) {
            n.defs.push(id);
        }
        id
    }

    /// The binding `name` refers to here, if any.
    pub fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    pub fn add_use(&mut self, node: NodeId, var: VarId) {
        if let Some(n) = self.nodes.get_mut(node.index()) {
            if !n.uses.contains(&var) {
                n.uses.push(var);
            }
        }
    }

    pub fn add_def(&mut self, node: NodeId, var: VarId) {
        if let Some(n) = self.nodes.get_mut(node.index()) {
            if !n.defs.contains(&var) {
                n.defs.push(var);
            }
        }
    }

    /// Uses by name: only names bound in scope are variables (others are zero-arity calls or
    /// paths).
    pub fn use_names(&mut self, node: NodeId, names: &[String]) {
        for name in names {
            if let Some(v) = self.lookup(name) {
                self.add_use(node, v);
            }
        }
    }

    pub fn finish(self, end: Frontier) -> MethodGraph {
        let mut me = self;
        let exit = me.exit;
        me.connect_all(end, exit);
        me.ast_edges();
        let mut g = MethodGraph::new(me.nodes, me.edges, me.variables);
        g.entry = me.entry;
        g.exit = me.exit;
        g
    }
}

/// Source text cut to [`CODE_LIMIT`] bytes at a char boundary, whitespace runs collapsed.
pub(crate) fn shorten(text: &str) -> String {
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.len() <= CODE_LIMIT {
        return collapsed;
    }
    let mut cut = CODE_LIMIT;
    while !collapsed.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &collapsed[..cut])
}

/// Named children of a node, comments excluded.
pub(crate) fn named_children<'t>(node: TsNode<'t>) -> Vec<TsNode<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| {
            c.kind() != "comment" && c.kind() != "line_comment" && c.kind() != "block_comment"
        })
        .collect()
}
