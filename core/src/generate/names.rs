//! Names as each language spells them. The model writes commands, events
//! and queries in kebab case (`create-new`), fields in snake case and
//! models, records and enums in Pascal case; a generator needs them in
//! the host's own case, and out of the way of its keywords.

/// The words of a name: split at `-`, `_` and a lower-to-upper step
/// (`createNew`, `create-new`, `create_new` and `CreateNew` give the same).
pub fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if ch == '-' || ch == '_' || ch == '.' || ch == ' ' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
        cur.extend(ch.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn capitalized(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `create-new` → `CreateNew`.
pub fn pascal(name: &str) -> String {
    words(name).iter().map(|w| capitalized(w)).collect()
}

/// `create-new` → `createNew`.
pub fn camel(name: &str) -> String {
    let w = words(name);
    let mut out = String::new();
    for (i, word) in w.iter().enumerate() {
        if i == 0 {
            out.push_str(word);
        } else {
            out.push_str(&capitalized(word));
        }
    }
    out
}

/// `create-new` → `create_new`.
pub fn snake(name: &str) -> String {
    words(name).join("_")
}

/// `create-new` → `CREATE_NEW`.
pub fn screaming(name: &str) -> String {
    snake(name).to_uppercase()
}

/// `name` unchanged, or with `suffix` when it is one of `reserved`: how a
/// generator keeps a field called `class` or `type` from breaking the code.
pub fn escape(name: String, reserved: &[&str], suffix: &str) -> String {
    if reserved.contains(&name.as_str()) {
        name + suffix
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        for n in ["create-new", "create_new", "createNew", "CreateNew"] {
            assert_eq!(pascal(n), "CreateNew", "{n}");
            assert_eq!(camel(n), "createNew", "{n}");
            assert_eq!(snake(n), "create_new", "{n}");
            assert_eq!(screaming(n), "CREATE_NEW", "{n}");
        }
        assert_eq!(pascal("todo_rows"), "TodoRows");
        assert_eq!(camel("v2-done"), "v2Done");
        assert_eq!(pascal("clear-done"), "ClearDone");
        assert_eq!(snake("Todos"), "todos");
        assert_eq!(escape("class".into(), &["class"], "_"), "class_");
        assert_eq!(escape("id".into(), &["class"], "_"), "id");
    }
}
