//! The reference side of the differential test: a small expression tree, its
//! text in the model language, and a plain interpreter over the tree that
//! follows MODEL-LANGUAGE.md §6 literally. Environments are maps from names
//! to values; there are no slots, no constant folding and no shortcuts, so
//! that it is easy to see that it is right.

use std::collections::BTreeMap;

/// The types the generator uses.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Int,
    Float,
    Bool,
    Str,
    Ts,
    /// The one record type, `R` (`RECORD` names its fields).
    Rec,
    List(Box<Ty>),
    Map(Box<Ty>),
}

/// The fields of record `R`, in declared order.
pub const RECORD: &[(&str, Ty)] = &[
    ("a", Ty::Int),
    ("b", Ty::Str),
    ("c", Ty::Bool),
    ("d", Ty::Float),
];

/// The timestamps the generator writes: the text, the instant in Unix
/// nanoseconds, and the canonical text (§4), worked out by hand.
pub const TIMESTAMPS: &[(&str, i128, &str)] = &[
    (
        "0001-01-01T00:00:00Z",
        -62_135_596_800_000_000_000,
        "0001-01-01T00:00:00Z",
    ),
    (
        "9999-12-31T23:59:59.999999999Z",
        253_402_300_799_999_999_999,
        "9999-12-31T23:59:59.999999999Z",
    ),
    (
        "1969-12-31T23:59:59.5Z",
        -500_000_000,
        "1969-12-31T23:59:59.5Z",
    ),
    ("1970-01-01T00:00:00.000Z", 0, "1970-01-01T00:00:00Z"),
    (
        "2026-01-02T03:04:05.12+01:00",
        1_767_319_445_120_000_000,
        "2026-01-02T02:04:05.12Z",
    ),
    (
        "2026-01-02T02:04:05.120000000Z",
        1_767_319_445_120_000_000,
        "2026-01-02T02:04:05.12Z",
    ),
];

/// Strings `timestamp(s)` refuses: past either end, year 0, not RFC 3339.
pub const BAD_TIMESTAMPS: &[&str] = &[
    "9999-12-31T23:59:59.999999999-00:01",
    "0001-01-01T00:00:00+00:01",
    "0000-12-31T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "yesterday",
];

fn canonical(nanos: i128) -> &'static str {
    TIMESTAMPS
        .iter()
        .find(|t| t.1 == nanos)
        .expect("a timestamp from the table")
        .2
}

impl Ty {
    /// The type as the model language writes it.
    pub fn src(&self) -> String {
        match self {
            Ty::Int => "int".into(),
            Ty::Float => "float".into(),
            Ty::Bool => "bool".into(),
            Ty::Str => "string".into(),
            Ty::Ts => "timestamp".into(),
            Ty::Rec => "R".into(),
            Ty::List(t) => format!("list<{}>", t.src()),
            Ty::Map(t) => format!("map<string, {}>", t.src()),
        }
    }
}

#[derive(Clone, Debug)]
pub enum V {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    /// Unix nanoseconds.
    Ts(i128),
    /// A record `R`, its fields in declared order.
    Rec(Vec<V>),
    List(Vec<V>),
    /// `String`'s order is byte order, which for UTF-8 is code point order.
    Map(BTreeMap<String, V>),
}

impl PartialEq for V {
    /// Deep equality; floats by IEEE 754 (`-0.0 == 0.0`).
    fn eq(&self, other: &V) -> bool {
        match (self, other) {
            (V::Int(a), V::Int(b)) => a == b,
            (V::Float(a), V::Float(b)) => a == b,
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Str(a), V::Str(b)) => a == b,
            (V::Ts(a), V::Ts(b)) => a == b,
            (V::Rec(a), V::Rec(b)) => a.iter().zip(b).all(|(x, y)| x == y),
            (V::List(a), V::List(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y),
            (V::Map(a), V::Map(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|((k, x), (j, y))| k == j && x == y)
            }
            _ => false,
        }
    }
}

impl V {
    /// Canonical JSON text (§11), as the engine writes it.
    pub fn json(&self) -> String {
        match self {
            V::Int(i) => i.to_string(),
            V::Float(f) => eventfold::value::format_float(*f),
            V::Bool(b) => b.to_string(),
            V::Str(s) => serde_json::to_string(s).unwrap(),
            V::Ts(t) => format!("\"{}\"", canonical(*t)),
            V::Rec(fields) => {
                let items: Vec<String> = RECORD
                    .iter()
                    .zip(fields)
                    .map(|((name, _), v)| format!("\"{name}\":{}", v.json()))
                    .collect();
                format!("{{{}}}", items.join(","))
            }
            V::List(items) => {
                let items: Vec<String> = items.iter().map(V::json).collect();
                format!("[{}]", items.join(","))
            }
            V::Map(m) => {
                let items: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), v.json()))
                    .collect();
                format!("{{{}}}", items.join(","))
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

impl Op {
    fn sym(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Rem => "%",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "in",
        }
    }
}

#[derive(Clone, Debug)]
pub enum E {
    /// An int, float, bool or string literal.
    Lit(V),
    Var(String),
    /// Never empty (an empty literal takes its type from where it stands).
    List(Vec<E>),
    /// Distinct keys, never empty.
    Map(Vec<(String, E)>),
    Neg(Box<E>),
    Not(Box<E>),
    Bin(Op, Box<E>, Box<E>),
    And(Box<E>, Box<E>),
    Or(Box<E>, Box<E>),
    Cond(Box<E>, Box<E>, Box<E>),
    /// `l[i]` or `m[k]`.
    Index(Box<E>, Box<E>),
    /// A function, and the type of its result (`sum([])` needs it).
    Call(&'static str, Vec<E>, Ty),
    /// `target.name(args)`.
    Method(Box<E>, &'static str, Vec<E>),
    /// `target.kind(var, body)`.
    Macro(&'static str, Box<E>, String, Box<E>),
    /// `e.field`, by the field's index in `RECORD`.
    Field(Box<E>, usize),
    /// `R{a: ..., b: ..., ...}`, every field given.
    Rec(Vec<E>),
    /// `"text${e}text..."`: literal text and expressions, alternating.
    Interp(Vec<(String, E)>, String),
}

/// A string literal's text, escaped for the model language.
pub fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl E {
    /// The expression in the model language, every compound in parentheses.
    pub fn src(&self) -> String {
        match self {
            E::Lit(V::Int(i)) if *i < 0 => format!("(-{})", i.unsigned_abs()),
            E::Lit(V::Float(f)) if f.is_sign_negative() => format!("(-{:?})", -f),
            E::Lit(V::Int(i)) => i.to_string(),
            E::Lit(V::Float(f)) => format!("{f:?}"),
            E::Lit(V::Bool(b)) => b.to_string(),
            E::Lit(V::Str(s)) => quote(s),
            E::Lit(v) => panic!("no literal for {v:?}"),
            E::Var(name) => name.clone(),
            E::List(items) => {
                let items: Vec<String> = items.iter().map(E::src).collect();
                format!("[{}]", items.join(", "))
            }
            E::Map(entries) => {
                let items: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", quote(k), v.src()))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            E::Neg(e) => format!("(-{})", e.src()),
            E::Not(e) => format!("(!{})", e.src()),
            E::Bin(op, a, b) => format!("({} {} {})", a.src(), op.sym(), b.src()),
            E::And(a, b) => format!("({} && {})", a.src(), b.src()),
            E::Or(a, b) => format!("({} || {})", a.src(), b.src()),
            E::Cond(c, a, b) => format!("({} ? {} : {})", c.src(), a.src(), b.src()),
            E::Index(t, i) => format!("{}[{}]", t.src(), i.src()),
            E::Call(name, args, _) => {
                let args: Vec<String> = args.iter().map(E::src).collect();
                format!("{name}({})", args.join(", "))
            }
            E::Method(t, name, args) => {
                let args: Vec<String> = args.iter().map(E::src).collect();
                format!("{}.{name}({})", t.src(), args.join(", "))
            }
            E::Macro(kind, t, var, body) => format!("{}.{kind}({var}, {})", t.src(), body.src()),
            E::Field(t, i) => format!("{}.{}", t.src(), RECORD[*i].0),
            E::Rec(fields) => {
                let items: Vec<String> = RECORD
                    .iter()
                    .zip(fields)
                    .map(|((name, _), e)| format!("{name}: {}", e.src()))
                    .collect();
                format!("R{{{}}}", items.join(", "))
            }
            E::Interp(parts, tail) => {
                let mut out = String::new();
                for (text, e) in parts {
                    let q = quote(text);
                    out.push_str(&q[1..q.len() - 1]);
                    out.push_str("${");
                    out.push_str(&e.src());
                    out.push('}');
                }
                let q = quote(tail);
                format!("\"{out}{}\"", &q[1..q.len() - 1])
            }
        }
    }
}

/// A failure, by its error code (§9).
pub type Failure = &'static str;
const EVAL: Failure = "evaluation_error";

pub type Env = BTreeMap<String, V>;

fn ordering(a: &V, b: &V) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (V::Int(a), V::Int(b)) => Some(a.cmp(b)),
        (V::Float(a), V::Float(b)) => a.partial_cmp(b),
        (V::Str(a), V::Str(b)) => Some(a.cmp(b)),
        (V::Bool(a), V::Bool(b)) => Some(a.cmp(b)),
        (V::Ts(a), V::Ts(b)) => Some(a.cmp(b)),
        _ => panic!("unordered operands {a:?} {b:?}"),
    }
}

fn finite(f: f64) -> Result<V, Failure> {
    if f.is_finite() {
        Ok(V::Float(f))
    } else {
        Err(EVAL)
    }
}

/// `string(x)` and `${x}`.
fn format(v: &V) -> String {
    match v {
        V::Int(i) => i.to_string(),
        V::Float(f) => eventfold::value::format_float(*f),
        V::Bool(b) => b.to_string(),
        V::Str(s) => s.clone(),
        V::Ts(t) => canonical(*t).to_string(),
        other => panic!("not formattable: {other:?}"),
    }
}

/// `int(s)`: an optional sign, then decimal digits.
fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `float(s)`: an optional sign, then `digits[.digits][e[sign]digits]` or
/// `.digits[...]`.
fn parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !digits(int) || !digits(frac) || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    s.parse().ok()
}

pub fn eval(e: &E, env: &Env) -> Result<V, Failure> {
    Ok(match e {
        E::Lit(v) => v.clone(),
        E::Var(name) => env
            .get(name)
            .unwrap_or_else(|| panic!("unbound {name}"))
            .clone(),
        E::List(items) => V::List(
            items
                .iter()
                .map(|i| eval(i, env))
                .collect::<Result<_, _>>()?,
        ),
        E::Map(entries) => {
            let mut m = BTreeMap::new();
            for (k, v) in entries {
                m.insert(k.clone(), eval(v, env)?);
            }
            V::Map(m)
        }
        E::Neg(x) => match eval(x, env)? {
            V::Int(i) => V::Int(i.checked_neg().ok_or(EVAL)?),
            V::Float(f) => V::Float(-f),
            v => panic!("neg {v:?}"),
        },
        E::Not(x) => match eval(x, env)? {
            V::Bool(b) => V::Bool(!b),
            v => panic!("not {v:?}"),
        },
        E::And(a, b) => match eval(a, env)? {
            V::Bool(false) => V::Bool(false),
            _ => eval(b, env)?,
        },
        E::Or(a, b) => match eval(a, env)? {
            V::Bool(true) => V::Bool(true),
            _ => eval(b, env)?,
        },
        E::Cond(c, a, b) => match eval(c, env)? {
            V::Bool(true) => eval(a, env)?,
            _ => eval(b, env)?,
        },
        E::Bin(op, a, b) => {
            let (a, b) = (eval(a, env)?, eval(b, env)?);
            binary(*op, a, b)?
        }
        E::Index(t, i) => match (eval(t, env)?, eval(i, env)?) {
            (V::List(l), V::Int(i)) => usize::try_from(i)
                .ok()
                .and_then(|i| l.get(i).cloned())
                .ok_or(EVAL)?,
            (V::Map(m), V::Str(k)) => m.get(&k).cloned().ok_or(EVAL)?,
            (t, i) => panic!("index {t:?}[{i:?}]"),
        },
        E::Call(name, args, ty) => {
            let args: Vec<V> = args
                .iter()
                .map(|a| eval(a, env))
                .collect::<Result<_, _>>()?;
            call(name, args, ty)?
        }
        E::Method(t, name, args) => {
            let t = eval(t, env)?;
            let args: Vec<V> = args
                .iter()
                .map(|a| eval(a, env))
                .collect::<Result<_, _>>()?;
            method(t, name, args)?
        }
        E::Macro(kind, t, var, body) => {
            let items: Vec<V> = match eval(t, env)? {
                V::List(l) => l,
                V::Map(m) => m.into_keys().map(V::Str).collect(),
                v => panic!("macro over {v:?}"),
            };
            let mut inner = env.clone();
            let mut out = Vec::new();
            let mut count = 0;
            for item in items {
                inner.insert(var.clone(), item.clone());
                let v = eval(body, &inner)?;
                match (*kind, v) {
                    ("all", V::Bool(false)) => return Ok(V::Bool(false)),
                    ("exists", V::Bool(true)) => return Ok(V::Bool(true)),
                    ("exists_one", V::Bool(true)) => count += 1,
                    ("map", v) => out.push(v),
                    ("filter", V::Bool(true)) => out.push(item),
                    _ => {}
                }
            }
            match *kind {
                "all" => V::Bool(true),
                "exists" => V::Bool(false),
                "exists_one" => V::Bool(count == 1),
                _ => V::List(out),
            }
        }
        E::Field(t, i) => match eval(t, env)? {
            V::Rec(mut fields) => fields.swap_remove(*i),
            v => panic!("field of {v:?}"),
        },
        E::Rec(fields) => V::Rec(
            fields
                .iter()
                .map(|f| eval(f, env))
                .collect::<Result<_, _>>()?,
        ),
        E::Interp(parts, tail) => {
            let mut out = String::new();
            for (text, e) in parts {
                out.push_str(text);
                out.push_str(&format(&eval(e, env)?));
            }
            out.push_str(tail);
            V::Str(out)
        }
    })
}

fn binary(op: Op, a: V, b: V) -> Result<V, Failure> {
    use V::{Bool, Float, Int};
    Ok(match (op, a, b) {
        (Op::Add, Int(a), Int(b)) => Int(a.checked_add(b).ok_or(EVAL)?),
        (Op::Sub, Int(a), Int(b)) => Int(a.checked_sub(b).ok_or(EVAL)?),
        (Op::Mul, Int(a), Int(b)) => Int(a.checked_mul(b).ok_or(EVAL)?),
        (Op::Div, Int(a), Int(b)) => Int(a.checked_div(b).ok_or(EVAL)?),
        (Op::Rem, Int(a), Int(b)) => Int(a.checked_rem(b).ok_or(EVAL)?),
        (Op::Add, Float(a), Float(b)) => finite(a + b)?,
        (Op::Sub, Float(a), Float(b)) => finite(a - b)?,
        (Op::Mul, Float(a), Float(b)) => finite(a * b)?,
        // Division by zero (`-0.0` included) is an error, not an infinity.
        (Op::Div, Float(a), Float(b)) => {
            if b == 0.0 {
                return Err(EVAL);
            }
            finite(a / b)?
        }
        (Op::Add, V::Str(a), V::Str(b)) => V::Str(a + &b),
        (Op::Add, V::List(mut a), V::List(b)) => {
            a.extend(b);
            V::List(a)
        }
        (Op::Eq, a, b) => Bool(a == b),
        (Op::Ne, a, b) => Bool(a != b),
        (Op::Lt, a, b) => Bool(ordering(&a, &b) == Some(std::cmp::Ordering::Less)),
        (Op::Gt, a, b) => Bool(ordering(&a, &b) == Some(std::cmp::Ordering::Greater)),
        (Op::Le, a, b) => Bool(matches!(
            ordering(&a, &b),
            Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
        )),
        (Op::Ge, a, b) => Bool(matches!(
            ordering(&a, &b),
            Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
        )),
        (Op::In, x, V::List(l)) => Bool(l.contains(&x)),
        (Op::In, V::Str(k), V::Map(m)) => Bool(m.contains_key(&k)),
        (op, a, b) => panic!("{op:?} on {a:?} and {b:?}"),
    })
}

fn call(name: &str, mut args: Vec<V>, ty: &Ty) -> Result<V, Failure> {
    let arg = args.remove(0);
    Ok(match (name, arg) {
        ("size", V::Str(s)) => V::Int(s.chars().count() as i64),
        ("size", V::List(l)) => V::Int(l.len() as i64),
        ("size", V::Map(m)) => V::Int(m.len() as i64),
        ("int", V::Int(i)) => V::Int(i),
        ("int", V::Float(f)) => {
            let t = f.trunc();
            // i64 holds exactly the integers in [-2^63, 2^63).
            if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t) {
                V::Int(t as i64)
            } else {
                return Err(EVAL);
            }
        }
        ("int", V::Str(s)) => V::Int(parse_int(&s).ok_or(EVAL)?),
        // Whole seconds, rounded down (CEL; protobuf's `seconds`).
        ("int", V::Ts(t)) => V::Int(t.div_euclid(1_000_000_000) as i64),
        ("timestamp", V::Ts(t)) => V::Ts(t),
        ("timestamp", V::Str(s)) => match TIMESTAMPS.iter().find(|t| t.0 == s) {
            Some(t) => V::Ts(t.1),
            None if BAD_TIMESTAMPS.contains(&s.as_str()) => return Err(EVAL),
            None => panic!("timestamp({s:?}) is not in the tables"),
        },
        ("float", V::Float(f)) => V::Float(f),
        ("float", V::Int(i)) => V::Float(i as f64),
        ("float", V::Str(s)) => finite(parse_float(&s).ok_or(EVAL)?)?,
        ("string", v) => V::Str(format(&v)),
        ("keys", V::Map(m)) => V::List(m.into_keys().map(V::Str).collect()),
        ("values", V::Map(m)) => V::List(m.into_values().collect()),
        ("sum", V::List(l)) if *ty == Ty::Int => {
            let mut total: i64 = 0;
            for v in l {
                let V::Int(i) = v else { panic!("sum") };
                total = total.checked_add(i).ok_or(EVAL)?;
            }
            V::Int(total)
        }
        ("sum", V::List(l)) => {
            let mut total = 0.0;
            for v in l {
                let V::Float(f) = v else { panic!("sum") };
                total += f;
            }
            finite(total)?
        }
        ("min" | "max", V::List(l)) => {
            let want = if name == "min" {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            };
            let mut best: Option<V> = None;
            for v in l {
                best = match best {
                    Some(b) if ordering(&v, &b) != Some(want) => Some(b),
                    _ => Some(v),
                };
            }
            best.ok_or(EVAL)?
        }
        (name, v) => panic!("{name}({v:?})"),
    })
}

fn method(t: V, name: &str, mut args: Vec<V>) -> Result<V, Failure> {
    let text = |v: &V| match v {
        V::Str(s) => s.clone(),
        other => panic!("not a string: {other:?}"),
    };
    Ok(match name {
        "contains" => V::Bool(text(&t).contains(&text(&args[0]))),
        "startsWith" => V::Bool(text(&t).starts_with(&text(&args[0]))),
        "endsWith" => V::Bool(text(&t).ends_with(&text(&args[0]))),
        "lowerAscii" => V::Str(text(&t).to_ascii_lowercase()),
        "upperAscii" => V::Str(text(&t).to_ascii_uppercase()),
        "trim" => V::Str(text(&t).trim().to_string()),
        // RE2 syntax, true when it matches anywhere (§6).
        "matches" => match regex::Regex::new(&text(&args[0])) {
            Ok(re) => V::Bool(re.is_match(&text(&t))),
            Err(_) => return Err(EVAL),
        },
        "size" => match t {
            V::Str(s) => V::Int(s.chars().count() as i64),
            V::List(l) => V::Int(l.len() as i64),
            V::Map(m) => V::Int(m.len() as i64),
            other => panic!("size of {other:?}"),
        },
        "get" => match t {
            V::Map(m) => match m.get(&text(&args[0])) {
                Some(v) => v.clone(),
                None => args.remove(1),
            },
            other => panic!("get on {other:?}"),
        },
        other => panic!("no method {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_follows_the_spec_on_small_cases() {
        let env = Env::new();
        let lit = |v: V| Box::new(E::Lit(v));
        let div = E::Bin(Op::Div, lit(V::Int(-7)), lit(V::Int(2)));
        assert_eq!(eval(&div, &env), Ok(V::Int(-3)));
        let z = E::Bin(Op::Lt, lit(V::Float(-0.0)), lit(V::Float(0.0)));
        assert_eq!(eval(&z, &env), Ok(V::Bool(false)));
        assert_eq!(div.src(), "((-7) / 2)");
        let over = E::Bin(Op::Add, lit(V::Int(i64::MAX)), lit(V::Int(1)));
        assert_eq!(eval(&over, &env), Err(EVAL));
    }
}
