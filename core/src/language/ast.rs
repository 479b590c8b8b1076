//! The syntax tree of a model file, as the parser builds it.
//!
//! The tree keeps every name with its [`Span`] so that the checker can point at
//! the exact code point that is wrong. It holds no types: the checker
//! (`check.rs`) resolves names and types, and the compiler lowers the checked
//! tree into the evaluable form of `compile.rs`.

/// A byte range in one source file of a domain.
///
/// `file` indexes the sources given to `compile`, `start..end` are byte
/// offsets into that source. Line and column (in code points) are computed
/// only when a diagnostic is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: u32,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: u32, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A name as written, with where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed model file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub models: Vec<Model>,
    /// `table` declarations (MODEL-LANGUAGE.md §13), in file order.
    pub tables: Vec<Table>,
    /// `projection` declarations (§13), in file order.
    pub projections: Vec<Projection>,
}

/// `table name { (key)? column: type (= default)? ... }`: a materialized
/// table that one projection keeps in step with the events.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub doc: Option<String>,
    pub name: Ident,
    pub columns: Vec<Column>,
}

/// A column: a field, and where its `key` word stands when it is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub key: Option<Span>,
    pub field: Field,
}

/// `projection name inline|async { on Model.event { ... } ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub doc: Option<String>,
    pub name: Ident,
    /// Required; a projection written without one is reported by the parser
    /// and kept as `Inline`.
    pub mode: ProjectionMode,
    pub handlers: Vec<OnHandler>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectionMode {
    /// In the transaction that stores the events.
    Inline,
    /// A little behind the events.
    Async,
}

impl ProjectionMode {
    pub fn word(self) -> &'static str {
        match self {
            ProjectionMode::Inline => "inline",
            ProjectionMode::Async => "async",
        }
    }
}

/// `on Model.event { block }`.
#[derive(Debug, Clone, PartialEq)]
pub struct OnHandler {
    pub doc: Option<String>,
    /// The word `on`.
    pub keyword: Span,
    pub model: Ident,
    pub event: Ident,
    pub body: Block,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The `///` lines before the declaration, joined with `\n`, without the
    /// `///` and one following space.
    pub doc: Option<String>,
    pub name: Ident,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Member {
    State(StateDecl),
    Record(RecordDecl),
    Enum(EnumDecl),
    Command(HandlerDecl),
    Event(HandlerDecl),
    /// `upcast e@k(...) { ... }` (§12): how version k of `e` reads as a
    /// newer one. Its `version` is always set.
    Upcast(HandlerDecl),
    Query(QueryDecl),
    Invariant(InvariantDecl),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StateDecl {
    pub doc: Option<String>,
    /// The `state` keyword (a second `state` block is reported here).
    pub keyword: Span,
    pub fields: Vec<Field>,
}

/// A state field, record field, or param: `name: type (= default)?`.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub doc: Option<String>,
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordDecl {
    pub doc: Option<String>,
    pub name: Ident,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumDecl {
    pub doc: Option<String>,
    pub name: Ident,
    pub members: Vec<EnumMember>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumMember {
    pub doc: Option<String>,
    pub name: Ident,
}

/// A `command`, an `event` or an `upcast`: a name, params, and a block.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerDecl {
    pub doc: Option<String>,
    pub name: Ident,
    /// `@N` after an event's or upcast's name (§12); `None` for a command,
    /// and for an event written without it (version 1).
    pub version: Option<Version>,
    pub params: Vec<Field>,
    pub body: Block,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryDecl {
    pub doc: Option<String>,
    pub name: Ident,
    pub params: Vec<Field>,
    pub ty: TypeExpr,
    pub body: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvariantDecl {
    pub doc: Option<String>,
    /// The `invariant` keyword.
    pub keyword: Span,
    /// The text of the string literal (escapes resolved; interpolation is
    /// not allowed here, the parser reports it).
    pub text: String,
    pub expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    String,
    Int,
    Float,
    Bool,
    Timestamp,
    /// `duration`: a type name only where a type stands (§14).
    Duration,
    List(Box<TypeExpr>),
    /// `map<K, V>`: the checker requires `K` to be `string`.
    Map(Box<TypeExpr>, Box<TypeExpr>),
    /// A record or enum name (`PascalCase`).
    Named(Ident),
    /// `Model.Type`: a model's record or enum, named from a table (§13).
    Qualified(Ident, Ident),
    Optional(Box<TypeExpr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    /// From `{` to `}`.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    /// The statement's keyword (`let`, `reject`, `emit`, `set`, ...): where a
    /// statement that may not stand here is reported.
    pub keyword: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Let {
        name: Ident,
        value: Expr,
    },
    Reject {
        reason: Option<Ident>,
        /// A string literal, possibly interpolated ([`ExprKind::Str`]).
        message: Expr,
        /// `unless C` rather than `if C`.
        unless: bool,
        cond: Expr,
    },
    Emit {
        event: Ident,
        /// `emit e@k(...)`: the version named (§12); `None` is the current one.
        version: Option<Version>,
        /// `emit e(id)` is parsed as `emit e(id: id)`.
        args: Vec<Arg>,
    },
    Set {
        path: Path,
        value: Expr,
    },
    Remove {
        path: Path,
    },
    If {
        /// `if c {..} else if d {..}`: one entry per condition.
        branches: Vec<(Expr, Block)>,
        otherwise: Option<Block>,
    },
    For {
        var: Ident,
        iter: Expr,
        body: Block,
    },
    /// `insert t(args)`, or `upsert t(args)` (projection handlers only, §13).
    Insert {
        table: Ident,
        args: Vec<Arg>,
        upsert: bool,
    },
    /// `update t[k1, ..., kj](args)`.
    Update {
        table: Ident,
        keys: Vec<Expr>,
        args: Vec<Arg>,
    },
    /// `delete t[k1, ..., kj]`.
    Delete {
        table: Ident,
        keys: Vec<Expr>,
    },
}

/// `@N` after an event's name: a version of its shape (§12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub value: u32,
    /// The number after `@`: where a wrong version is reported.
    pub span: Span,
}

/// `name: value` in `emit` and record literals; shorthand `name` is parsed as
/// `name: name` (the value then is an [`ExprKind::Name`] with the same span).
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Ident,
    pub value: Expr,
}

/// The target of `set` and `remove`: `root(.field | [index])*`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub root: Ident,
    pub segments: Vec<PathSegment>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathSegment {
    Field(Ident),
    Index(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    /// A `-` directly before an integer literal is folded into it by the
    /// parser, so `-9223372036854775808` is a literal.
    Int(i64),
    Float(f64),
    /// A string literal: literal text and `${expr}` parts, in order.
    Str(Vec<StrPart>),
    List(Vec<Expr>),
    /// `{"k": v, ...}`: keys are expressions of type string.
    Map(Vec<(Expr, Expr)>),
    /// `Todo{id: x, text}`.
    Record {
        name: Ident,
        fields: Vec<Arg>,
    },
    /// A `snake_case` name: a variable, param, state field, `now`, `meta` or
    /// `state`.
    Name(Ident),
    /// `Status.open`: a `PascalCase` name followed by `.member`.
    EnumMember {
        ty: Ident,
        member: Ident,
    },
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `cond ? then : otherwise`.
    Cond {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `target.field`.
    Field {
        target: Box<Expr>,
        field: Ident,
    },
    /// `target[index]`.
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    /// A global function: `size(x)`, `int(x)`, `keys(m)`, ...
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    /// `target.method(args)`, macros included (`e.filter(x, p)`: the first
    /// argument is then an [`ExprKind::Name`]).
    Method {
        target: Box<Expr>,
        method: Ident,
        args: Vec<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    Lit(String),
    Expr(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

/// A problem found while reading or checking a model, before it is given a
/// line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct Diag {
    pub span: Span,
    pub message: String,
}

impl Diag {
    pub fn new(span: Span, message: impl Into<String>) -> Diag {
        Diag {
            span,
            message: message.into(),
        }
    }
}
