//! Helpers of lowering: constants and their folding, stable places,
//! field indexes.

use super::*;

/// Two reads of one stable place: the same state field or variable.
pub(super) fn same_place(a: &ir::Expr, b: &ir::Expr) -> bool {
    match (a, b) {
        (ir::Expr::StateField(x), ir::Expr::StateField(y))
        | (ir::Expr::Local(x), ir::Expr::Local(y))
        | (ir::Expr::Param(x), ir::Expr::Param(y)) => x == y,
        _ => false,
    }
}

pub(super) fn conversion_hint(a: &Type, b: &Type) -> &'static str {
    match (a, b) {
        (Type::Int, Type::Float) | (Type::Float, Type::Int) => {
            "; convert one side with `float(x)` or `int(x)`"
        }
        (Type::Optional(_), _) | (_, Type::Optional(_)) => {
            "; unwrap the optional side with `.orValue(default)`"
        }
        (Type::Timestamp | Type::Duration, Type::Int)
        | (Type::Int, Type::Timestamp | Type::Duration) => {
            "; make the int a duration, such as `duration(string(n) + \"s\")`, or the other side an int with `int(x)`"
        }
        _ => "",
    }
}

/// The zero value of a state field's type, where it has one (§4).
pub(super) fn zero_value(t: &Type) -> Option<Value> {
    Some(match t {
        Type::String => Value::str(""),
        Type::Int => Value::Int(0),
        Type::Float => Value::Float(0.0),
        Type::Bool => Value::Bool(false),
        Type::Duration => Value::Duration(crate::value::Duration::ZERO),
        Type::List(_) => Value::list([]),
        Type::Map(_) => Value::Map(Map::new()),
        Type::Optional(_) | Type::Null => Value::Null,
        _ => return None,
    })
}

/// The value of a constant expression: literals, and lists, maps and
/// records of them.
pub(super) fn const_value(e: &ir::Expr) -> Option<Value> {
    match e {
        ir::Expr::Const(v) => Some(v.clone()),
        ir::Expr::Unary(Unary::NegInt, x, _) => match const_value(x)? {
            Value::Int(i) => i.checked_neg().map(Value::Int),
            _ => None,
        },
        ir::Expr::Unary(Unary::NegDuration, x, _) => match const_value(x)? {
            Value::Duration(d) => Some(Value::Duration(-d)),
            _ => None,
        },
        ir::Expr::Unary(Unary::NegFloat, x, _) => match const_value(x)? {
            Value::Float(f) => Some(Value::Float(-f)),
            _ => None,
        },
        _ => None,
    }
}

/// Lists, maps and records of constants become constants themselves.
pub(super) fn fold_list(items: Vec<ir::Expr>) -> ir::Expr {
    let consts: Option<Vec<Value>> = items.iter().map(const_value).collect();
    match consts {
        Some(values) => ir::Expr::Const(Value::list(values)),
        None => ir::Expr::List(items),
    }
}

pub(super) fn fold_map(entries: Vec<(ir::Expr, ir::Expr)>) -> ir::Expr {
    let consts: Option<Vec<(Value, Value)>> = entries
        .iter()
        .map(|(k, v)| Some((const_value(k)?, const_value(v)?)))
        .collect();
    match consts {
        Some(pairs) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                if let Value::String(k) = k {
                    map.insert(k, v);
                }
            }
            ir::Expr::Const(Value::Map(map))
        }
        None => ir::Expr::Map(entries),
    }
}

pub(super) fn fold_record(shape: Arc<Shape>, fields: Vec<ir::Expr>) -> ir::Expr {
    match fields.iter().map(const_value).collect::<Option<Vec<_>>>() {
        Some(values) => {
            ir::Expr::Const(Value::record(shape, crate::value::Fields::from_vec(values)))
        }
        None => ir::Expr::Record(shape, fields),
    }
}

/// Where each field stands by name. With a name declared twice, the first:
/// the duplicate is reported and left out of the checked fields anyway.
pub(super) fn index_of(fields: &[FieldType]) -> HashMap<Str, u32> {
    let mut index = HashMap::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        index.entry(f.name.clone()).or_insert(i as u32);
    }
    index
}
