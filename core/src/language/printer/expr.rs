//! Expressions back to source text, with the fewest parentheses that keep
//! their meaning.

use super::*;

/// `[k1, ..., kj]` of `update` and `delete`.
pub(super) fn key_list(out: &mut String, keys: &[Expr]) {
    out.push('[');
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(out, k, 0);
    }
    out.push(']');
}

/// `name: value`, or `name` alone when the value is that name.
pub(super) fn args(out: &mut String, args: &[Arg]) {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&a.name.name);
        if !matches!(&a.value.kind, ExprKind::Name(n) if n.name == a.name.name) {
            out.push_str(": ");
            expr(out, &a.value, 0);
        }
    }
}

/// Binding strength: 0 `? :`, 1 `||`, 2 `&&`, 3 comparisons, 4 `+ -`,
/// 5 `* / %`, 6 unary, 7 postfix and primary.
fn binary_prec(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::In => 3,
        BinaryOp::Add | BinaryOp::Sub => 4,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 5,
    }
}

fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Cond { .. } => 0,
        ExprKind::Binary { op, .. } => binary_prec(*op),
        ExprKind::Unary { .. } => 6,
        _ => 7,
    }
}

/// Whether `e` prints starting with a non-negative integer literal: a `-`
/// before it would fold into the literal.
fn starts_with_int(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(v) => *v >= 0,
        ExprKind::Field { target, .. }
        | ExprKind::Index { target, .. }
        | ExprKind::Method { target, .. } => prec(target) >= 7 && starts_with_int(target),
        _ => false,
    }
}

/// Prints `e`, in parentheses when it binds less tightly than `min`.
pub(super) fn expr(out: &mut String, e: &Expr, min: u8) {
    let parens = prec(e) < min;
    if parens {
        out.push('(');
    }
    match &e.kind {
        ExprKind::Null => out.push_str("null"),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Int(v) => out.push_str(&v.to_string()),
        ExprKind::Float(f) => out.push_str(&float(*f)),
        ExprKind::Str(parts) => string_lit(out, parts),
        ExprKind::List(items) => {
            out.push('[');
            list(out, items);
            out.push(']');
        }
        ExprKind::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                expr(out, k, 0);
                out.push_str(": ");
                expr(out, v, 0);
            }
            out.push('}');
        }
        ExprKind::Record { name, fields } => {
            out.push_str(&name.name);
            out.push('{');
            args(out, fields);
            out.push('}');
        }
        ExprKind::Name(n) => out.push_str(&n.name),
        ExprKind::EnumMember { ty, member } => {
            out.push_str(&ty.name);
            out.push('.');
            out.push_str(&member.name);
        }
        ExprKind::Unary { op, expr: inner } => {
            match op {
                UnaryOp::Not => out.push('!'),
                UnaryOp::Neg => out.push('-'),
            }
            if *op == UnaryOp::Neg && starts_with_int(inner) && prec(inner) >= 6 {
                // `-(5)`: a bare `-5` would read back as the literal -5.
                out.push('(');
                expr(out, inner, 0);
                out.push(')');
            } else {
                expr(out, inner, 6);
            }
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let p = binary_prec(*op);
            // Comparisons do not chain: both sides need parentheses.
            let lhs_min = if p == 3 { p + 1 } else { p };
            expr(out, lhs, lhs_min);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            expr(out, rhs, p + 1);
        }
        ExprKind::Cond {
            cond,
            then,
            otherwise,
        } => {
            expr(out, cond, 1);
            out.push_str(" ? ");
            expr(out, then, 1);
            out.push_str(" : ");
            expr(out, otherwise, 0);
        }
        ExprKind::Field { target, field } => {
            expr(out, target, 7);
            out.push('.');
            out.push_str(&field.name);
        }
        ExprKind::Index { target, index } => {
            expr(out, target, 7);
            out.push('[');
            expr(out, index, 0);
            out.push(']');
        }
        ExprKind::Call { func, args } => {
            out.push_str(&func.name);
            out.push('(');
            list(out, args);
            out.push(')');
        }
        ExprKind::Method {
            target,
            method,
            args,
        } => {
            expr(out, target, 7);
            out.push('.');
            out.push_str(&method.name);
            out.push('(');
            list(out, args);
            out.push(')');
        }
    }
    if parens {
        out.push(')');
    }
}

fn list(out: &mut String, items: &[Expr]) {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(out, e, 0);
    }
}

/// A float as the shortest text that reads back to it, always with a `.` or
/// an exponent so that it stays a float.
pub(super) fn float(f: f64) -> String {
    let s = format!("{f:?}");
    if s.contains(['.', 'e', 'E']) || !f.is_finite() {
        s
    } else {
        s + ".0"
    }
}

pub(super) fn string_lit(out: &mut String, parts: &[StrPart]) {
    out.push('"');
    for (i, part) in parts.iter().enumerate() {
        match part {
            StrPart::Lit(text) => {
                let next_is_brace =
                    matches!(parts.get(i + 1), Some(StrPart::Lit(t)) if t.starts_with('{'));
                let mut chars = text.chars().peekable();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        '\r' => out.push_str("\\r"),
                        '$' if chars.peek() == Some(&'{')
                            || (chars.peek().is_none() && next_is_brace) =>
                        {
                            out.push_str("\\$")
                        }
                        c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", u32::from(c))),
                        c => out.push(c),
                    }
                }
            }
            StrPart::Expr(e) => {
                out.push_str("${");
                expr(out, e, 0);
                out.push('}');
            }
        }
    }
    out.push('"');
}
