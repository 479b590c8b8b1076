//! The Todos aggregate written by hand in plain Rust: the baseline the
//! model language is measured against. Idiomatic, not contorted: an ordered
//! map (the model's `map` iterates in key order too) and owned strings.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Todo {
    pub id: String,
    pub text: String,
    pub completed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct State {
    pub todos: BTreeMap<String, Todo>,
}

#[derive(Debug, Clone)]
pub enum Command {
    CreateNew { id: String, text: String },
    ChangeText { id: String, new_text: String },
    ChangeCompleted { id: String, completed: bool },
    Delete { id: String },
    ClearDone,
}

#[derive(Debug, Clone)]
pub enum Event {
    Created {
        id: String,
        text: String,
        completed: bool,
    },
    TextChanged {
        id: String,
        new_text: String,
    },
    CompletedChanged {
        id: String,
        completed: bool,
    },
    Deleted {
        id: String,
    },
    DoneCleared {
        ids: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub reason: &'static str,
    pub message: String,
}

fn reject(reason: &'static str, message: String) -> Result<Vec<Event>, Rejection> {
    Err(Rejection { reason, message })
}

pub fn propose(state: &State, command: &Command) -> Result<Vec<Event>, Rejection> {
    match command {
        Command::CreateNew { id, text } => {
            if state.todos.contains_key(id) {
                return reject("duplicate", format!("todo {id} already exists"));
            }
            if text.trim().is_empty() {
                return reject("blank", "text must not be blank".into());
            }
            Ok(vec![Event::Created {
                id: id.clone(),
                text: text.clone(),
                completed: false,
            }])
        }
        Command::ChangeText { id, new_text } => {
            let Some(todo) = state.todos.get(id) else {
                return reject("missing", format!("no todo {id}"));
            };
            if new_text.trim().is_empty() {
                return reject("blank", "text must not be blank".into());
            }
            Ok(if todo.text != *new_text {
                vec![Event::TextChanged {
                    id: id.clone(),
                    new_text: new_text.clone(),
                }]
            } else {
                vec![]
            })
        }
        Command::ChangeCompleted { id, completed } => {
            let Some(todo) = state.todos.get(id) else {
                return reject("missing", format!("no todo {id}"));
            };
            Ok(if todo.completed != *completed {
                vec![Event::CompletedChanged {
                    id: id.clone(),
                    completed: *completed,
                }]
            } else {
                vec![]
            })
        }
        Command::Delete { id } => {
            if !state.todos.contains_key(id) {
                return reject("missing", format!("no todo {id}"));
            }
            Ok(vec![Event::Deleted { id: id.clone() }])
        }
        Command::ClearDone => {
            let ids: Vec<String> = state
                .todos
                .values()
                .filter(|t| t.completed)
                .map(|t| t.id.clone())
                .collect();
            Ok(if ids.is_empty() {
                vec![]
            } else {
                vec![Event::DoneCleared { ids }]
            })
        }
    }
}

pub fn accept(state: &mut State, event: &Event) {
    match event {
        Event::Created {
            id,
            text,
            completed,
        } => {
            state.todos.insert(
                id.clone(),
                Todo {
                    id: id.clone(),
                    text: text.clone(),
                    completed: *completed,
                },
            );
        }
        Event::TextChanged { id, new_text } => {
            if let Some(t) = state.todos.get_mut(id) {
                t.text = new_text.clone();
            }
        }
        Event::CompletedChanged { id, completed } => {
            if let Some(t) = state.todos.get_mut(id) {
                t.completed = *completed;
            }
        }
        Event::Deleted { id } => {
            state.todos.remove(id);
        }
        Event::DoneCleared { ids } => {
            for id in ids {
                state.todos.remove(id);
            }
        }
    }
}
