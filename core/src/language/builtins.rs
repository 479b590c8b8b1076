//! The one table of built-in functions and methods (§6).
//!
//! Each entry says what it is called, what it is called on (a method's
//! receiver), and its type rule: from the types of its arguments, the IR op
//! it lowers to and the type it gives, or why it does not fit. The checker
//! looks names up here and nowhere else; the evaluator runs the op the
//! checker chose (a `match` on [`Builtin`], resolved at check time, so a call
//! costs no lookup at run time); the differential test checks that its
//! generator writes every name.

use std::sync::Arc;

use regex::Regex;

use super::calendar::Part;
use super::ir::MacroKind;
use crate::types::{Type, Types};

/// What the evaluator runs: each builtin as specialised by its argument
/// types at check time.
#[derive(Debug, Clone)]
pub enum Builtin {
    Size,
    Int,
    Float,
    String,
    Timestamp,
    Keys,
    Values,
    SumInt,
    SumFloat,
    Min,
    Max,
    Contains,
    StartsWith,
    EndsWith,
    LowerAscii,
    UpperAscii,
    Trim,
    /// With the pattern compiled at check time when it is a literal.
    Matches(Option<Arc<Regex>>),
    OrValue,
    /// `m.get(k, d)`.
    GetOr,
    /// `duration(s)` (§14).
    Duration,
    SumDuration,
    /// `t.getHours()`, `t.getHours(zone)` and kin.
    TimestampPart(Part),
    /// `d.getHours()` and kin.
    DurationPart(Part),
}

/// What a method is called on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receiver {
    String,
    List,
    Map,
    /// `T?` or `null`.
    Optional,
    Timestamp,
    Duration,
}

impl Receiver {
    pub fn accepts(self, t: &Type) -> bool {
        matches!(
            (self, t),
            (Receiver::String, Type::String)
                | (Receiver::List, Type::List(_))
                | (Receiver::Map, Type::Map(_))
                | (Receiver::Optional, Type::Optional(_) | Type::Null)
                | (Receiver::Timestamp, Type::Timestamp)
                | (Receiver::Duration, Type::Duration)
        )
    }
}

/// A function (`size(x)`) or a method (`x.size()`), and on what.
#[derive(Debug, Clone, Copy)]
pub enum Form {
    Function,
    Method(&'static [Receiver]),
}

/// Why arguments do not fit a builtin.
#[derive(Debug, Clone, PartialEq)]
pub enum Misfit {
    /// The first argument after the receiver (the only one of a function)
    /// is not what [`Spec::takes`] says.
    Takes,
    /// Argument `i` (after the receiver), with the whole message.
    Arg(usize, String),
}

/// The type rule of a builtin: the argument types (a method's receiver
/// first) to the op and the result type.
pub type Typing = fn(&[Type], &Types) -> Result<(Builtin, Type), Misfit>;

#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Takes `arity` arguments (besides the receiver) and up to `optional`
    /// more, typed by `typing`.
    Typed {
        arity: usize,
        optional: usize,
        typing: Typing,
    },
    /// `e.all(x, cond)` and kin: a variable and a body, checked by the
    /// checker itself since the body sees the variable.
    Macro(MacroKind),
}

#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub form: Form,
    /// What the argument must be, for the message when it is not.
    pub takes: &'static str,
    pub rule: Rule,
}

const fn function(name: &'static str, takes: &'static str, typing: Typing) -> Spec {
    Spec {
        name,
        form: Form::Function,
        takes,
        rule: Rule::Typed {
            arity: 1,
            optional: 0,
            typing,
        },
    }
}

const fn method(
    name: &'static str,
    on: &'static [Receiver],
    arity: usize,
    takes: &'static str,
    typing: Typing,
) -> Spec {
    Spec {
        name,
        form: Form::Method(on),
        takes,
        rule: Rule::Typed {
            arity,
            optional: 0,
            typing,
        },
    }
}

/// A method taking `arity` arguments and up to `optional` more.
const fn method_opt(
    name: &'static str,
    on: &'static [Receiver],
    arity: usize,
    optional: usize,
    takes: &'static str,
    typing: Typing,
) -> Spec {
    Spec {
        name,
        form: Form::Method(on),
        takes,
        rule: Rule::Typed {
            arity,
            optional,
            typing,
        },
    }
}

const fn macro_(name: &'static str, kind: MacroKind) -> Spec {
    Spec {
        name,
        form: Form::Method(&[Receiver::List, Receiver::Map]),
        takes: "a variable and an expression",
        rule: Rule::Macro(kind),
    }
}

use Receiver as R;

const STRING: &[Receiver] = &[R::String];
const TIMESTAMP: &[Receiver] = &[R::Timestamp];
const DURATION: &[Receiver] = &[R::Duration];

/// An accessor on a timestamp, with an optional time zone (§14). The
/// typing cannot see which part it is for, so each part has its own.
const fn timestamp_part(name: &'static str, part: Part) -> Spec {
    let typing: Typing = match part {
        Part::FullYear => |a, t| zone_arg(Part::FullYear, a, t),
        Part::Month => |a, t| zone_arg(Part::Month, a, t),
        Part::Date => |a, t| zone_arg(Part::Date, a, t),
        Part::DayOfMonth => |a, t| zone_arg(Part::DayOfMonth, a, t),
        Part::DayOfWeek => |a, t| zone_arg(Part::DayOfWeek, a, t),
        Part::DayOfYear => |a, t| zone_arg(Part::DayOfYear, a, t),
        Part::Hours => |a, t| zone_arg(Part::Hours, a, t),
        Part::Minutes => |a, t| zone_arg(Part::Minutes, a, t),
        Part::Seconds => |a, t| zone_arg(Part::Seconds, a, t),
        Part::Milliseconds => |a, t| zone_arg(Part::Milliseconds, a, t),
    };
    method_opt(
        name,
        TIMESTAMP,
        0,
        1,
        "a time zone: an IANA name such as \"Europe/Berlin\" or an offset such as \"+01:00\"",
        typing,
    )
}

fn zone_arg(part: Part, a: &[Type], types: &Types) -> Result<(Builtin, Type), Misfit> {
    match a.get(1) {
        None | Some(Type::String) => Ok((Builtin::TimestampPart(part), Type::Int)),
        Some(t) => Err(Misfit::Arg(
            0,
            format!(
                "a time zone is a string, an IANA name such as \"Europe/Berlin\" or an offset such as \"+01:00\", but this is {}",
                t.display(types)
            ),
        )),
    }
}
const SIZED: &[Receiver] = &[R::String, R::List, R::Map];

/// Every builtin. The order is the order of "did you mean" candidates.
pub static BUILTINS: &[Spec] = &[
    function("size", "a string, a list or a map", |a, _| match &a[0] {
        Type::String | Type::List(_) | Type::Map(_) => Ok((Builtin::Size, Type::Int)),
        _ => Err(Misfit::Takes),
    }),
    function(
        "int",
        "an int, a float, a string, a timestamp or a duration",
        |a, _| match &a[0] {
            Type::Int | Type::Float | Type::String | Type::Timestamp | Type::Duration => {
                Ok((Builtin::Int, Type::Int))
            }
            _ => Err(Misfit::Takes),
        },
    ),
    function("float", "an int, a float or a string", |a, _| match &a[0] {
        Type::Int | Type::Float | Type::String => Ok((Builtin::Float, Type::Float)),
        _ => Err(Misfit::Takes),
    }),
    function(
        "string",
        "a string, int, float, bool, timestamp, duration or enum member (not a list, map or record)",
        |a, _| match formattable(a[0].unwrap_optional()) {
            true => Ok((Builtin::String, Type::String)),
            false => Err(Misfit::Takes),
        },
    ),
    function("timestamp", "an RFC 3339 string", |a, _| match &a[0] {
        Type::String | Type::Timestamp => Ok((Builtin::Timestamp, Type::Timestamp)),
        _ => Err(Misfit::Takes),
    }),
    function("duration", "a duration string such as \"1h30m\"", |a, _| match &a[0] {
        Type::String | Type::Duration => Ok((Builtin::Duration, Type::Duration)),
        _ => Err(Misfit::Takes),
    }),
    function("keys", "a map", |a, _| match &a[0] {
        Type::Map(_) => Ok((Builtin::Keys, Type::List(Box::new(Type::String)))),
        _ => Err(Misfit::Takes),
    }),
    function("values", "a map", |a, _| match &a[0] {
        Type::Map(v) => Ok((Builtin::Values, Type::List(v.clone()))),
        _ => Err(Misfit::Takes),
    }),
    function("sum", "a list of ints, floats or durations", |a, _| match &a[0] {
        Type::List(item) => match **item {
            Type::Int | Type::Unknown => Ok((Builtin::SumInt, Type::Int)),
            Type::Float => Ok((Builtin::SumFloat, Type::Float)),
            Type::Duration => Ok((Builtin::SumDuration, Type::Duration)),
            _ => Err(Misfit::Takes),
        },
        _ => Err(Misfit::Takes),
    }),
    function("min", ORDERED, |a, _| ordered(Builtin::Min, &a[0])),
    function("max", ORDERED, |a, _| ordered(Builtin::Max, &a[0])),
    method("contains", STRING, 1, "a string", |a, _| {
        string_arg(Builtin::Contains, a)
    }),
    method("startsWith", STRING, 1, "a string", |a, _| {
        string_arg(Builtin::StartsWith, a)
    }),
    method("endsWith", STRING, 1, "a string", |a, _| {
        string_arg(Builtin::EndsWith, a)
    }),
    // The checker compiles a literal pattern (it sees the IR, this does not).
    method("matches", STRING, 1, "a string", |a, _| {
        string_arg(Builtin::Matches(None), a)
    }),
    method("lowerAscii", STRING, 0, "nothing", |_, _| {
        Ok((Builtin::LowerAscii, Type::String))
    }),
    method("upperAscii", STRING, 0, "nothing", |_, _| {
        Ok((Builtin::UpperAscii, Type::String))
    }),
    method("trim", STRING, 0, "nothing", |_, _| {
        Ok((Builtin::Trim, Type::String))
    }),
    method("size", SIZED, 0, "nothing", |_, _| {
        Ok((Builtin::Size, Type::Int))
    }),
    method(
        "orValue",
        &[R::Optional],
        1,
        "a default of the type inside",
        |a, types| {
            let inner = match a[0].unwrap_optional() {
                Type::Null => Type::Unknown,
                t => t.clone(),
            };
            let dt = &a[1];
            match inner.unify(dt) {
                Some(u) if !u.is_optional() || dt.is_optional() => Ok((Builtin::OrValue, u)),
                _ => Err(Misfit::Arg(
                    0,
                    format!(
                        "the default of `orValue` must be {}, but this is {}",
                        inner.display(types),
                        dt.display(types)
                    ),
                )),
            }
        },
    ),
    method("get", &[R::Map], 2, "a key and a default", |a, types| {
        let Type::Map(v) = &a[0] else {
            return Err(Misfit::Takes);
        };
        if a[1] != Type::String {
            return Err(Misfit::Arg(
                0,
                format!("a map key is a string, but this is {}", a[1].display(types)),
            ));
        }
        let dt = &a[2];
        if dt.fits(v) && !dt.is_optional() {
            Ok((Builtin::GetOr, (**v).clone()))
        } else if dt.fits(&Type::optional((**v).clone())) {
            Ok((Builtin::GetOr, Type::optional((**v).clone())))
        } else {
            let want = v.display(types);
            Err(Misfit::Arg(
                1,
                format!(
                    "the default of `get` must be {want}, {want}? or null, but this is {}",
                    dt.display(types)
                ),
            ))
        }
    }),
    timestamp_part("getFullYear", Part::FullYear),
    timestamp_part("getMonth", Part::Month),
    timestamp_part("getDate", Part::Date),
    timestamp_part("getDayOfMonth", Part::DayOfMonth),
    timestamp_part("getDayOfWeek", Part::DayOfWeek),
    timestamp_part("getDayOfYear", Part::DayOfYear),
    timestamp_part("getHours", Part::Hours),
    timestamp_part("getMinutes", Part::Minutes),
    timestamp_part("getSeconds", Part::Seconds),
    timestamp_part("getMilliseconds", Part::Milliseconds),
    method("getHours", DURATION, 0, "nothing", |_, _| {
        Ok((Builtin::DurationPart(Part::Hours), Type::Int))
    }),
    method("getMinutes", DURATION, 0, "nothing", |_, _| {
        Ok((Builtin::DurationPart(Part::Minutes), Type::Int))
    }),
    method("getSeconds", DURATION, 0, "nothing", |_, _| {
        Ok((Builtin::DurationPart(Part::Seconds), Type::Int))
    }),
    method("getMilliseconds", DURATION, 0, "nothing", |_, _| {
        Ok((Builtin::DurationPart(Part::Milliseconds), Type::Int))
    }),
    macro_("all", MacroKind::All),
    macro_("exists", MacroKind::Exists),
    macro_("exists_one", MacroKind::ExistsOne),
    macro_("map", MacroKind::Map),
    macro_("filter", MacroKind::Filter),
];

const ORDERED: &str = "a list of ints, floats, strings, timestamps, durations or bools";

fn ordered(op: Builtin, t: &Type) -> Result<(Builtin, Type), Misfit> {
    match t {
        Type::List(item)
            if matches!(
                **item,
                Type::Int
                    | Type::Float
                    | Type::String
                    | Type::Timestamp
                    | Type::Duration
                    | Type::Bool
            ) =>
        {
            Ok((op, (**item).clone()))
        }
        _ => Err(Misfit::Takes),
    }
}

fn string_arg(op: Builtin, a: &[Type]) -> Result<(Builtin, Type), Misfit> {
    match a[1] {
        Type::String => Ok((op, Type::Bool)),
        _ => Err(Misfit::Takes),
    }
}

/// Types `string(x)` and `${x}` can write.
pub(crate) fn formattable(t: &Type) -> bool {
    matches!(
        t,
        Type::String
            | Type::Int
            | Type::Float
            | Type::Bool
            | Type::Timestamp
            | Type::Duration
            | Type::Enum(_)
            | Type::Null
            | Type::Error
    )
}

/// The function called `name`.
pub fn function_named(name: &str) -> Option<&'static Spec> {
    BUILTINS
        .iter()
        .find(|s| s.name == name && matches!(s.form, Form::Function))
}

/// The names of every function.
pub fn function_names() -> impl Iterator<Item = &'static str> + Clone {
    BUILTINS
        .iter()
        .filter(|s| matches!(s.form, Form::Function))
        .map(|s| s.name)
}

/// The macro called `name`, whatever it is called on.
pub fn macro_named(name: &str) -> Option<MacroKind> {
    BUILTINS.iter().find_map(|s| match s.rule {
        Rule::Macro(kind) if s.name == name => Some(kind),
        _ => None,
    })
}

/// The method `name` on a value of type `t`.
pub fn method_on(name: &str, t: &Type) -> Option<&'static Spec> {
    BUILTINS
        .iter()
        .find(|s| s.name == name && s.takes_receiver(t))
}

/// The names of the methods on a value of type `t` (not counting `orValue`
/// of optionals, which the message about null suggests itself).
pub fn method_names_on(t: &Type) -> impl Iterator<Item = &'static str> + Clone + '_ {
    BUILTINS
        .iter()
        .filter(move |s| match s.form {
            Form::Method(on) => on.iter().any(|r| *r != Receiver::Optional && r.accepts(t)),
            Form::Function => false,
        })
        .map(|s| s.name)
}

impl Spec {
    fn takes_receiver(&self, t: &Type) -> bool {
        match self.form {
            Form::Method(on) => on.iter().any(|r| r.accepts(t)),
            Form::Function => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_per_form_and_receiver() {
        for (i, a) in BUILTINS.iter().enumerate() {
            for b in &BUILTINS[i + 1..] {
                if a.name != b.name {
                    continue;
                }
                match (a.form, b.form) {
                    (Form::Function, Form::Function) => panic!("two functions `{}`", a.name),
                    (Form::Method(x), Form::Method(y)) => {
                        assert!(
                            !x.iter().any(|r| y.contains(r)),
                            "two methods `{}` on one receiver",
                            a.name
                        )
                    }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn lookups_find_by_form_and_receiver() {
        assert!(function_named("size").is_some());
        assert!(function_named("trim").is_none());
        assert!(method_on("trim", &Type::String).is_some());
        assert!(method_on("trim", &Type::Int).is_none());
        assert!(method_on("size", &Type::List(Box::new(Type::Int))).is_some());
        assert!(method_on("orValue", &Type::optional(Type::Int)).is_some());
        assert!(method_on("orValue", &Type::Int).is_none());
        assert_eq!(macro_named("exists_one"), Some(MacroKind::ExistsOne));
        assert_eq!(macro_named("size"), None);
        let on_map: Vec<_> = method_names_on(&Type::Map(Box::new(Type::Int))).collect();
        assert_eq!(
            on_map,
            [
                "size",
                "get",
                "all",
                "exists",
                "exists_one",
                "map",
                "filter"
            ]
        );
    }
}
