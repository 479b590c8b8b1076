//! The typed generator: well-typed model texts from fuzzer bytes
//! (`arbitrary::Unstructured` drives every choice), and the laws a run of
//! their commands must keep.
//!
//! Coverage-guided mutation of model texts mostly produces texts that do not
//! compile, and rarely nests macros over maps inside loops and `let`s, where
//! slot faults hide. This generator writes only models that must compile:
//! a state of int, string, bool, list, map and record fields; events whose
//! handlers `set`, `remove`, loop and branch; commands that compute with
//! `let`, `for`, `if` and macros (`map`, `filter`, `all`, `exists`,
//! `exists_one`, nested) and emit the events; and probes: expressions over
//! the state written once as a query and once inside a command, under
//! unrelated `let`s, a loop and a macro, which must give the same value.

use arbitrary::Unstructured;

/// The types the generator writes. `Rec` is the one record type, `R`.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Int,
    Str,
    Bool,
    Rec,
    List(Box<Ty>),
    Map(Box<Ty>),
}

/// The fields of `R`, in declared order.
pub const RECORD: &[(&str, Ty)] = &[("a", Ty::Int), ("b", Ty::Str), ("c", Ty::Bool)];

const INTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "(-1)",
    "7",
    "100",
    "9223372036854775807",
];
const KEYS: &[&str] = &["a", "b", "c", "é", ""];

impl Ty {
    pub fn src(&self) -> String {
        match self {
            Ty::Int => "int".into(),
            Ty::Str => "string".into(),
            Ty::Bool => "bool".into(),
            Ty::Rec => "R".into(),
            Ty::List(t) => format!("list<{}>", t.src()),
            Ty::Map(t) => format!("map<string, {}>", t.src()),
        }
    }

    fn is_scalar(&self) -> bool {
        matches!(self, Ty::Int | Ty::Str | Ty::Bool)
    }
}

/// What a macro runs over.
enum Over {
    List(Ty),
    /// The keys of a map.
    Map,
    Any,
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    ty: Ty,
    /// For a macro's or loop's variable over the keys of a map held in a
    /// variable: that map's name, so that `m[k]` is worth writing.
    over: Option<String>,
}

/// A generated model and what to run on it.
#[derive(Debug)]
pub struct Case {
    pub source: String,
    /// Each command's name and the types of its params, in order.
    pub commands: Vec<(String, Vec<(String, Ty)>)>,
    /// The probes: query name and the field of `probed` holding the same
    /// expression.
    pub probes: Vec<(String, String)>,
    /// Calls to run: command index (`usize::MAX` for `init`, the number of
    /// commands for `probe`) and the command as JSON.
    pub calls: Vec<(usize, String)>,
}

pub struct Gen<'a, 'b> {
    u: &'b mut Unstructured<'a>,
    vars: Vec<Var>,
    fresh: usize,
}

impl<'a, 'b> Gen<'a, 'b> {
    pub fn new(u: &'b mut Unstructured<'a>) -> Self {
        Gen {
            u,
            vars: Vec::new(),
            fresh: 0,
        }
    }

    /// A choice in `0..n`; 0 once the bytes run out, so that generation
    /// always ends (0 is always the simplest choice).
    fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.u.int_in_range(0..=n - 1).unwrap_or(0)
    }

    fn chance(&mut self, percent: u8) -> bool {
        self.u.int_in_range(0..=99u8).is_ok_and(|x| x < percent)
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    fn name(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn scalar(&mut self) -> Ty {
        self.pick(&[Ty::Int, Ty::Str, Ty::Bool, Ty::Rec])
    }

    fn ty(&mut self, depth: u32) -> Ty {
        if depth == 0 || self.chance(55) {
            return self.scalar();
        }
        let inner = Box::new(self.ty(depth - 1));
        if self.chance(50) {
            Ty::List(inner)
        } else {
            Ty::Map(inner)
        }
    }

    /// A type with a zero value, for a state field.
    fn field_ty(&mut self) -> Ty {
        match self.ty(2) {
            Ty::Rec => Ty::Map(Box::new(Ty::Rec)),
            t => t,
        }
    }

    fn key_lit(&mut self) -> String {
        format!("\"{}\"", self.pick(KEYS))
    }

    /// A literal of a type.
    fn lit(&mut self, ty: &Ty) -> String {
        match ty {
            Ty::Int => self.pick(INTS).to_string(),
            Ty::Str => self.key_lit(),
            Ty::Bool => self.pick(&["true", "false"]).to_string(),
            Ty::Rec => format!(
                "R{{a: {}, b: {}, c: {}}}",
                self.lit(&Ty::Int),
                self.lit(&Ty::Str),
                self.lit(&Ty::Bool)
            ),
            Ty::List(t) => {
                let n = 1 + self.below(2);
                let items: Vec<String> = (0..n).map(|_| self.lit(t)).collect();
                format!("[{}]", items.join(", "))
            }
            Ty::Map(t) => {
                let mut keys = KEYS.to_vec();
                let n = 1 + self.below(2);
                let items: Vec<String> = (0..n)
                    .map(|_| {
                        let k = keys.remove(self.below(keys.len()));
                        format!("\"{k}\": {}", self.lit(t))
                    })
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
        }
    }

    fn var_of(&mut self, ty: &Ty) -> Option<String> {
        let found: Vec<String> = self
            .vars
            .iter()
            .filter(|v| v.ty == *ty)
            .map(|v| v.name.clone())
            .collect();
        (!found.is_empty()).then(|| self.pick(&found))
    }

    /// `m[k]` for a variable `k` over the keys of a map `m` of `ty` values.
    fn value_read(&mut self, ty: &Ty) -> Option<String> {
        let found: Vec<String> = self
            .vars
            .iter()
            .filter_map(|v| {
                let m = v.over.as_ref()?;
                let mt = &self.vars.iter().rev().find(|x| &x.name == m)?.ty;
                (*mt == Ty::Map(Box::new(ty.clone()))).then(|| format!("{m}[{}]", v.name))
            })
            .collect();
        (!found.is_empty()).then(|| self.pick(&found))
    }

    fn leaf(&mut self, ty: &Ty) -> String {
        if self.chance(40) {
            if let Some(r) = self.value_read(ty) {
                return r;
            }
        }
        if self.chance(70) {
            if let Some(v) = self.var_of(ty) {
                return v;
            }
        }
        self.lit(ty)
    }

    /// A map to run a macro or loop over: mostly one held in a variable.
    fn map_target(&mut self, depth: u32) -> (String, Option<String>) {
        let maps: Vec<String> = self
            .vars
            .iter()
            .filter(|v| matches!(v.ty, Ty::Map(_)))
            .map(|v| v.name.clone())
            .collect();
        if !maps.is_empty() && self.chance(75) {
            let m = self.pick(&maps);
            return (m.clone(), Some(m));
        }
        let vt = self.ty(1);
        (self.expr(&Ty::Map(Box::new(vt)), depth), None)
    }

    /// `target.kind(x, body)`: over a list (items of `item`, or a fresh
    /// type) or over the keys of a map.
    fn macro_of(&mut self, kind: &str, over: Over, body_ty: &Ty, depth: u32) -> String {
        let d = depth.saturating_sub(1);
        let (target, item_ty, over) = match over {
            Over::List(t) => (self.expr(&Ty::List(Box::new(t.clone())), d), t, None),
            Over::Map => {
                let (t, over) = self.map_target(d);
                (t, Ty::Str, over)
            }
            Over::Any if self.chance(55) => {
                let (t, over) = self.map_target(d);
                (t, Ty::Str, over)
            }
            Over::Any => {
                let t = self.ty(1);
                (self.expr(&Ty::List(Box::new(t.clone())), d), t, None)
            }
        };
        let name = self.name("x");
        self.vars.push(Var {
            name: name.clone(),
            ty: item_ty,
            over,
        });
        let body = self.expr(body_ty, d);
        self.vars.pop();
        format!("({target}).{kind}({name}, {body})")
    }

    /// A well-typed expression of `ty`.
    pub fn expr(&mut self, ty: &Ty, depth: u32) -> String {
        if depth == 0 || self.chance(20) {
            return self.leaf(ty);
        }
        let d = depth - 1;
        // Forms of any type.
        match self.below(12) {
            0 => {
                return format!(
                    "({} ? {} : {})",
                    self.expr(&Ty::Bool, d),
                    self.expr(ty, d),
                    self.expr(ty, d)
                )
            }
            1 => {
                let m = self.expr(&Ty::Map(Box::new(ty.clone())), d);
                let k = self.key(d);
                return format!("({m}).get({k}, {})", self.expr(ty, d));
            }
            2 if self.chance(30) => {
                let l = self.expr(&Ty::List(Box::new(ty.clone())), d);
                return format!("({l})[{}]", self.pick(&["0", "1"]));
            }
            3 if ty.is_scalar() => {
                let (f, _) = RECORD.iter().find(|(_, t)| t == ty).expect("a field");
                let r = self.expr(&Ty::Rec, d);
                return format!("({r}).{f}");
            }
            4 => {
                if let Some(r) = self.value_read(ty) {
                    return r;
                }
            }
            _ => {}
        }
        match ty {
            Ty::Int => match self.below(9) {
                0..=2 => {
                    let op = self.pick(&["+", "-", "*", "/", "%"]);
                    format!("({} {op} {})", self.expr(ty, d), self.expr(ty, d))
                }
                3 => format!("(-{})", self.expr(ty, d)),
                4 => {
                    let t = self.pick(&[
                        Ty::Str,
                        Ty::List(Box::new(Ty::Int)),
                        Ty::Map(Box::new(Ty::Rec)),
                    ]);
                    format!("size({})", self.expr(&t, d))
                }
                5 => {
                    let m = self.macro_of("map", Over::Any, &Ty::Int, depth);
                    format!("sum({m})")
                }
                6 => {
                    let t = self.ty(1);
                    let m = self.macro_of("filter", Over::List(t), &Ty::Bool, depth);
                    format!("size({m})")
                }
                7 => {
                    let f = self.pick(&["min", "max", "sum"]);
                    format!("{f}({})", self.expr(&Ty::List(Box::new(Ty::Int)), d))
                }
                _ => self.leaf(ty),
            },
            Ty::Str => match self.below(6) {
                0 | 1 => format!("({} + {})", self.expr(ty, d), self.expr(ty, d)),
                2 => {
                    let t = self.pick(&[Ty::Int, Ty::Bool, Ty::Str]);
                    format!("string({})", self.expr(&t, d))
                }
                3 => {
                    let m = self.pick(&["trim", "lowerAscii", "upperAscii"]);
                    format!("({}).{m}()", self.expr(ty, d))
                }
                4 => {
                    let t = self.pick(&[Ty::Int, Ty::Bool, Ty::Str]);
                    format!("\"<${{{}}}>\"", self.expr(&t, d))
                }
                _ => self.leaf(ty),
            },
            Ty::Bool => match self.below(10) {
                0 => {
                    let t = self.ty(1);
                    let op = self.pick(&["==", "!="]);
                    format!("({} {op} {})", self.expr(&t, d), self.expr(&t, d))
                }
                1 => {
                    let t = self.pick(&[Ty::Int, Ty::Str, Ty::Bool]);
                    let op = self.pick(&["<", "<=", ">", ">="]);
                    format!("({} {op} {})", self.expr(&t, d), self.expr(&t, d))
                }
                2 => {
                    let op = self.pick(&["&&", "||"]);
                    format!("({} {op} {})", self.expr(ty, d), self.expr(ty, d))
                }
                3 => format!("(!{})", self.expr(ty, d)),
                4 => {
                    let vt = self.ty(1);
                    let k = self.key(d);
                    format!("({k} in {})", self.expr(&Ty::Map(Box::new(vt)), d))
                }
                5 => {
                    let t = self.pick(&[Ty::Int, Ty::Str]);
                    let l = self.expr(&Ty::List(Box::new(t.clone())), d);
                    format!("({} in {l})", self.expr(&t, d))
                }
                6 | 7 => {
                    let kind = self.pick(&["all", "exists", "exists_one"]);
                    self.macro_of(kind, Over::Any, &Ty::Bool, depth)
                }
                8 => {
                    let m = self.pick(&["contains", "startsWith", "endsWith"]);
                    format!(
                        "({}).{m}({})",
                        self.expr(&Ty::Str, d),
                        self.expr(&Ty::Str, d)
                    )
                }
                _ => self.leaf(ty),
            },
            Ty::Rec => match self.below(3) {
                0 => format!(
                    "R{{a: {}, b: {}, c: {}}}",
                    self.expr(&Ty::Int, d),
                    self.expr(&Ty::Str, d),
                    self.expr(&Ty::Bool, d)
                ),
                _ => self.leaf(ty),
            },
            Ty::List(item) => match self.below(7) {
                0 => {
                    let n = 1 + self.below(3);
                    let items: Vec<String> = (0..n).map(|_| self.expr(item, d)).collect();
                    format!("[{}]", items.join(", "))
                }
                1 => format!("({} + {})", self.expr(ty, d), self.expr(ty, d)),
                2 | 3 => self.macro_of("map", Over::Any, item, depth),
                4 => {
                    if **item == Ty::Str && self.chance(50) {
                        // The keys of a map that pass.
                        self.macro_of("filter", Over::Map, &Ty::Bool, depth)
                    } else {
                        self.macro_of("filter", Over::List((**item).clone()), &Ty::Bool, depth)
                    }
                }
                5 if **item == Ty::Str => {
                    let vt = self.ty(1);
                    format!("keys({})", self.expr(&Ty::Map(Box::new(vt)), d))
                }
                5 => format!("values({})", self.expr(&Ty::Map(item.clone()), d)),
                _ => self.leaf(ty),
            },
            Ty::Map(_) => match self.below(3) {
                0 => self.lit(ty),
                _ => self.leaf(ty),
            },
        }
    }

    /// A map key: mostly a literal key the generated maps hold.
    fn key(&mut self, depth: u32) -> String {
        if self.chance(60) {
            self.key_lit()
        } else {
            self.expr(&Ty::Str, depth)
        }
    }

    /// A JSON value of a type, for command data.
    fn json(&mut self, ty: &Ty) -> String {
        match ty {
            Ty::Int => self
                .pick(&["0", "1", "2", "-5", "9223372036854775807"])
                .into(),
            Ty::Str => format!("\"{}\"", self.pick(KEYS)),
            Ty::Bool => self.pick(&["true", "false"]).into(),
            Ty::Rec => format!(
                r#"{{"a":{},"b":{},"c":{}}}"#,
                self.json(&Ty::Int),
                self.json(&Ty::Str),
                self.json(&Ty::Bool)
            ),
            Ty::List(t) => {
                let n = self.below(4);
                let items: Vec<String> = (0..n).map(|_| self.json(t)).collect();
                format!("[{}]", items.join(","))
            }
            Ty::Map(t) => {
                let mut keys = KEYS.to_vec();
                let n = self.below(4);
                let items: Vec<String> = (0..n)
                    .map(|_| {
                        let k = keys.remove(self.below(keys.len()));
                        format!("\"{k}\":{}", self.json(t))
                    })
                    .collect();
                format!("{{{}}}", items.join(","))
            }
        }
    }

    /// A `set` or `remove` of an event handler, on a state field.
    fn write(&mut self, fields: &[(String, Ty)], depth: u32) -> String {
        let (name, ty) = self.pick(fields);
        match (&ty, self.below(4)) {
            (Ty::Map(vt), 0) => format!("set {name}[{}] = {}", self.key(1), self.expr(vt, depth)),
            (Ty::Map(_), 1) => format!("remove {name}[{}]", self.key(1)),
            (Ty::Map(vt), 2) if **vt == Ty::Rec => {
                let (f, ft) = self.pick(RECORD);
                let k = self.key(1);
                format!("set {name}[{k}].{f} = {}", self.expr(&ft, depth))
            }
            (Ty::List(vt), 0) => format!(
                "set {name}[{}] = {}",
                self.pick(&["0", "1"]),
                self.expr(vt, depth)
            ),
            (Ty::List(_), 1) => format!("remove {name}[{}]", self.pick(&["0", "1"])),
            _ => format!("set {name} = {}", self.expr(&ty, depth)),
        }
    }

    /// Statements of a block: `emit` of `events` in a command, writes of
    /// `fields` in an event handler.
    fn block(
        &mut self,
        out: &mut String,
        indent: usize,
        events: &[(String, Vec<(String, Ty)>)],
        fields: &[(String, Ty)],
        depth: u32,
    ) {
        let pad = "  ".repeat(indent);
        let scope = self.vars.len();
        let n = 1 + self.below(4);
        for _ in 0..n {
            match self.below(6) {
                0 => {
                    let ty = self.ty(2);
                    let e = self.expr(&ty, depth);
                    let name = self.name("l");
                    out.push_str(&format!("{pad}let {name} = {e}\n"));
                    self.vars.push(Var {
                        name,
                        ty,
                        over: None,
                    });
                }
                1 if indent < 4 => {
                    let c = self.expr(&Ty::Bool, depth);
                    out.push_str(&format!("{pad}if {c} {{\n"));
                    self.block(out, indent + 1, events, fields, depth);
                    if self.chance(50) {
                        out.push_str(&format!("{pad}}} else {{\n"));
                        self.block(out, indent + 1, events, fields, depth);
                    }
                    out.push_str(&format!("{pad}}}\n"));
                }
                2 if indent < 4 => {
                    let name = self.name("i");
                    let (target, item, over) = if self.chance(50) {
                        let (t, over) = self.map_target(depth);
                        (t, Ty::Str, over)
                    } else {
                        let t = self.ty(1);
                        (self.expr(&Ty::List(Box::new(t.clone())), depth), t, None)
                    };
                    out.push_str(&format!("{pad}for {name} in {target} {{\n"));
                    self.vars.push(Var {
                        name,
                        ty: item,
                        over,
                    });
                    self.block(out, indent + 1, events, fields, depth);
                    self.vars.pop();
                    out.push_str(&format!("{pad}}}\n"));
                }
                3 if !events.is_empty() && self.chance(15) => {
                    let c = self.expr(&Ty::Bool, depth);
                    let m = self.expr(&Ty::Int, depth);
                    out.push_str(&format!("{pad}reject no \"no ${{{m}}}\" if {c}\n"));
                }
                _ if !events.is_empty() => {
                    let (name, params) = self.pick(events);
                    let args: Vec<String> = params
                        .iter()
                        .map(|(p, t)| format!("{p}: {}", self.expr(t, depth)))
                        .collect();
                    out.push_str(&format!("{pad}emit {name}({})\n", args.join(", ")));
                }
                _ if !fields.is_empty() => {
                    let w = self.write(fields, depth);
                    out.push_str(&format!("{pad}{w}\n"));
                }
                _ => {}
            }
        }
        self.vars.truncate(scope);
    }

    fn params(&mut self, prefix: &str) -> Vec<(String, Ty)> {
        (0..self.below(4))
            .map(|_| (self.name(prefix), self.ty(1)))
            .collect()
    }

    fn scoped<T>(&mut self, vars: &[(String, Ty)], f: impl FnOnce(&mut Self) -> T) -> T {
        let scope = self.vars.len();
        self.vars.extend(vars.iter().map(|(n, t)| Var {
            name: n.clone(),
            ty: t.clone(),
            over: None,
        }));
        let out = f(self);
        self.vars.truncate(scope);
        out
    }

    /// A whole model and the calls to run on it.
    pub fn case(&mut self) -> Case {
        let depth = 1 + self.below(4) as u32;
        // At least one map and one list, for macros and loops to run over.
        let mut fields = vec![
            (self.name("s"), Ty::Map(Box::new(self.ty(1)))),
            (self.name("s"), Ty::List(Box::new(self.ty(1)))),
        ];
        for _ in 0..self.below(4) {
            let t = self.field_ty();
            fields.push((self.name("s"), t));
        }
        let record: Vec<String> = RECORD
            .iter()
            .map(|(n, t)| format!("    {n}: {}", t.src()))
            .collect();
        let state: Vec<String> = fields
            .iter()
            .map(|(n, t)| format!("    {n}: {}", t.src()))
            .collect();
        let mut src = format!(
            "model G {{\n  record R {{\n{}\n  }}\n  state {{\n{}\n  }}\n",
            record.join("\n"),
            state.join("\n")
        );
        self.vars.extend(fields.iter().map(|(n, t)| Var {
            name: n.clone(),
            ty: t.clone(),
            over: None,
        }));
        // `init` fills the state with literals, so that the macros and loops
        // of the other commands run over something; it runs first.
        src.push_str("  command init() {\n    emit init()\n  }\n  event init() {\n");
        for (name, ty) in &fields {
            let value = self.lit(ty);
            src.push_str(&format!("    set {name} = {value}\n"));
        }
        src.push_str("  }\n");
        let events: Vec<(String, Vec<(String, Ty)>)> = (0..1 + self.below(3))
            .map(|_| (self.name("e"), self.params("f")))
            .collect();
        for (name, params) in &events {
            let sig: Vec<String> = params
                .iter()
                .map(|(p, t)| format!("{p}: {}", t.src()))
                .collect();
            src.push_str(&format!("  event {name}({}) {{\n", sig.join(", ")));
            let mut body = String::new();
            self.scoped(params, |g| g.block(&mut body, 2, &[], &fields, depth));
            src.push_str(&body);
            src.push_str("  }\n");
        }
        let mut commands = Vec::new();
        for _ in 0..1 + self.below(3) {
            let name = self.name("c");
            let params = self.params("p");
            let sig: Vec<String> = params
                .iter()
                .map(|(p, t)| format!("{p}: {}", t.src()))
                .collect();
            src.push_str(&format!("  command {name}({}) {{\n", sig.join(", ")));
            let mut body = String::new();
            self.scoped(&params, |g| g.block(&mut body, 2, &events, &[], depth));
            src.push_str(&body);
            src.push_str("  }\n");
            commands.push((name, params));
        }
        // Probes: one expression over the state, as a query and inside a
        // command under unrelated names, a loop and a macro.
        let mut probes = Vec::new();
        let mut probe_fields = Vec::new();
        for _ in 0..1 + self.below(3) {
            let ty = self.ty(2);
            let e = self.expr(&ty, depth);
            let q = self.name("q");
            src.push_str(&format!("  query {q}(): {} = {e}\n", ty.src()));
            let v = self.name("v");
            let wrapped = if self.chance(50) {
                let z = self.name("z");
                format!("[0].map({z}, {e})[0]")
            } else {
                e
            };
            probe_fields.push((v.clone(), ty, wrapped));
            probes.push((q, v));
        }
        let (z0, z1, z2) = (self.name("z"), self.name("z"), self.name("z"));
        let args: Vec<String> = probe_fields
            .iter()
            .map(|(v, _, e)| format!("{v}: {e}"))
            .collect();
        src.push_str(&format!(
            "  command probe() {{\n    let {z0} = 1\n    for {z1} in [\"a\"] {{\n      let {z2} = {z0}\n      emit probed({})\n    }}\n  }}\n",
            args.join(", ")
        ));
        let sig: Vec<String> = probe_fields
            .iter()
            .map(|(v, t, _)| format!("{v}: {}", t.src()))
            .collect();
        src.push_str(&format!("  event probed({}) {{ }}\n}}\n", sig.join(", ")));
        self.vars.clear();
        let init = (usize::MAX, r#"{"type":"init"}"#.to_string());
        let calls = std::iter::once(init)
            .chain((0..self.below(8)).map(|_| {
                let i = self.below(commands.len() + 1);
                if i == commands.len() {
                    return (i, r#"{"type":"probe"}"#.to_string());
                }
                let (name, params) = &commands[i];
                let data: Vec<String> = params
                    .iter()
                    .map(|(p, t)| format!("\"{p}\":{}", self.json(t)))
                    .collect();
                (
                    i,
                    format!(r#"{{"type":"{name}","data":{{{}}}}}"#, data.join(",")),
                )
            }))
            .collect();
        Case {
            source: src,
            commands,
            probes,
            calls,
        }
    }
}
