//! Differential test of the evaluator (issue 10): random well-typed
//! expressions over a random typed state, run by the engine (compiled
//! through the public `Domain` API, then `query` and `propose`) and by a
//! plain interpreter over the expression tree (`differential/reference.rs`).
//! Both must give the same canonical JSON, or fail with the same code.
//!
//! The run is bounded by its number of cases (default 30,000 models, each
//! with several queries and a command: under a minute in a debug build);
//! `EVENTFOLD_DIFF_CASES` changes it, and
//! `EVENTFOLD_DIFF_SEED` picks another seed (bench/README.md says how to run
//! the long version). A failure prints the model, the state and both
//! results.

#[path = "differential/reference.rs"]
mod reference;

use eventfold::{Domain, Source};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use reference::{eval, Env, Op, Ty, BAD_TIMESTAMPS, E, RECORD, TIMESTAMPS, V};

/// SplitMix64: the generator draws from one seed that proptest picks, so a
/// case is its seed and its size.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

const INTS: &[i64] = &[
    0,
    1,
    2,
    3,
    -1,
    -7,
    7,
    10,
    100,
    i64::MAX,
    -i64::MAX,
    4_611_686_018_427_387_904,
];
const FLOATS: &[f64] = &[0.0, -0.0, 1.5, -2.25, 0.1, 3.0, 1e300, 2.5e-3, -1e10];
const STRS: &[&str] = &[
    "", "a", "b", "ab", "abc", "A", "é", "Z", " a\t", "12", "-3", "+7", "1.5", "2e3", ".5", "x y",
    "bé",
];
const KEYS: &[&str] = &["a", "b", "c", "é", "Z"];
/// Patterns for `matches`; the last two (`(`, `+7`) are invalid, and are
/// only given from a variable (a literal one fails to compile).
const PATTERNS: &[&str] = &["^a", "b$", "[0-9]+", "é", "^$", "a|Z", "^\\s", "(", "+7"];

/// A variable in scope: its name, type, and for a macro's variable over a
/// map held in a variable, that map's name (so `m[k]` is worth writing).
#[derive(Clone)]
struct Var {
    name: String,
    ty: Ty,
    over: Option<String>,
}

struct Gen {
    rng: Rng,
    vars: Vec<Var>,
    fresh: usize,
}

impl Gen {
    fn ty(&mut self, depth: u32) -> Ty {
        let scalar = [Ty::Int, Ty::Float, Ty::Bool, Ty::Str, Ty::Ts, Ty::Rec];
        if depth == 0 || self.rng.chance(60) {
            return self.rng.pick(&scalar);
        }
        let inner = Box::new(self.ty(depth - 1));
        if self.rng.chance(60) {
            Ty::List(inner)
        } else {
            Ty::Map(inner)
        }
    }

    fn scalar_of(&mut self, ty: &Ty) -> V {
        match ty {
            Ty::Int => V::Int(self.rng.pick(INTS)),
            Ty::Float => V::Float(self.rng.pick(FLOATS)),
            Ty::Bool => V::Bool(self.rng.chance(50)),
            // Often a key the generated maps hold, so that a string used
            // as a key finds something.
            Ty::Str if self.rng.chance(40) => V::Str(self.rng.pick(KEYS).to_string()),
            Ty::Str => V::Str(self.rng.pick(STRS).to_string()),
            Ty::Ts => V::Ts(self.rng.pick(TIMESTAMPS).1),
            Ty::Rec => V::Rec(RECORD.iter().map(|(_, t)| self.scalar_of(t)).collect()),
            _ => unreachable!(),
        }
    }

    /// A value of a type, for the state.
    fn value(&mut self, ty: &Ty) -> V {
        match ty {
            Ty::List(t) => {
                let n = self.rng.below(5).min(3);
                V::List((0..n).map(|_| self.value(t)).collect())
            }
            Ty::Map(t) => {
                let n = self.rng.below(5).min(3);
                V::Map(
                    (0..n)
                        .map(|_| (self.rng.pick(KEYS).to_string(), self.value(t)))
                        .collect(),
                )
            }
            t => self.scalar_of(t),
        }
    }

    fn var_of(&mut self, ty: &Ty) -> Option<E> {
        let found: Vec<&Var> = self.vars.iter().filter(|v| v.ty == *ty).collect();
        if found.is_empty() {
            return None;
        }
        let v = found[self.rng.below(found.len())];
        Some(E::Var(v.name.clone()))
    }

    /// A leaf: a variable of the type when there is one, else a literal.
    fn leaf(&mut self, ty: &Ty) -> E {
        if self.rng.chance(65) {
            if let Some(e) = self.var_of(ty) {
                return e;
            }
        }
        match ty {
            Ty::List(t) => E::List(vec![self.leaf(t)]),
            Ty::Map(t) => E::Map(vec![(self.rng.pick(KEYS).to_string(), self.leaf(t))]),
            Ty::Ts => self.timestamp(),
            Ty::Rec => E::Rec(RECORD.iter().map(|(_, t)| self.leaf(t)).collect()),
            t => E::Lit(self.scalar_of(t)),
        }
    }

    /// `timestamp("...")` of a literal: mostly one that parses. A bad one
    /// is written `timestamp("..." + "")`: of a literal it would be a
    /// compile error (a constant, §14), and the run-time error is the test.
    fn timestamp(&mut self) -> E {
        if self.rng.chance(90) {
            let text = self.rng.pick(TIMESTAMPS).0;
            E::Call("timestamp", vec![E::Lit(V::Str(text.into()))], Ty::Ts)
        } else {
            let text = self.rng.pick(BAD_TIMESTAMPS);
            let arg = E::Bin(
                Op::Add,
                Box::new(E::Lit(V::Str(text.into()))),
                Box::new(E::Lit(V::Str(String::new()))),
            );
            E::Call("timestamp", vec![arg], Ty::Ts)
        }
    }

    /// A list index: mostly a small literal, so that it is often in range.
    fn index(&mut self, depth: u32) -> E {
        if self.rng.chance(30) {
            if let Some(e) = self.value_read(&Ty::Int) {
                return e;
            }
        }
        if self.rng.chance(70) {
            E::Lit(V::Int(self.rng.below(2) as i64))
        } else {
            self.expr(&Ty::Int, depth)
        }
    }

    /// A map key: mostly one the generated maps hold.
    fn key(&mut self, depth: u32) -> E {
        // `m2[m[k]]`: a key's value used as a key.
        if self.rng.chance(30) {
            if let Some(e) = self.value_read(&Ty::Str) {
                return e;
            }
        }
        if self.rng.chance(60) {
            E::Lit(V::Str(self.rng.pick(KEYS).to_string()))
        } else {
            self.expr(&Ty::Str, depth)
        }
    }

    fn b(&mut self, ty: &Ty, depth: u32) -> Box<E> {
        Box::new(self.expr(ty, depth))
    }

    /// The body of a macro over a map held in a variable, reading the key's
    /// value (`m[k]`) next to an expression that may hold macros of its own:
    /// the shape that once read another macro's variable instead.
    fn reading_body(&mut self, ty: &Ty, depth: u32) -> E {
        let Some((read, vt)) = self.any_value_read() else {
            return self.expr(ty, depth);
        };
        // `m.filter(k, m2[m[k]])`: the value as a key, where the evaluator
        // reads the body by reference.
        if vt == Ty::Str && self.rng.chance(40) {
            let target = self.expr(&Ty::Map(Box::new(ty.clone())), depth);
            return E::Index(Box::new(target), Box::new(read));
        }
        // `m.filter(k, m[k].c)`, `m.map(k, m[k].a > 1)`: a field of the value.
        if vt == Ty::Rec && self.rng.chance(70) {
            if let Some(i) = RECORD.iter().position(|(_, t)| t == ty) {
                if self.rng.chance(50) {
                    return E::Field(Box::new(read), i);
                }
            }
            let i = self.rng.below(RECORD.len());
            let ft = RECORD[i].1.clone();
            if *ty == Ty::Bool {
                let op = self.rng.pick(&[Op::Eq, Op::Ne, Op::Lt, Op::Ge]);
                let other = self.expr(&ft, depth);
                return E::Bin(op, Box::new(E::Field(Box::new(read), i)), Box::new(other));
            }
        }
        let other = if self.rng.chance(70) {
            // A macro that runs before or around the read.
            let kind = self.rng.pick(&["all", "exists", "exists_one"]);
            let cond = self.macro_of(kind, None, &Ty::Bool, depth.max(1)).0;
            E::Cond(
                Box::new(cond),
                Box::new(self.expr(&vt, depth)),
                Box::new(self.expr(&vt, depth)),
            )
        } else {
            self.expr(&vt, depth)
        };
        let (a, b) = if self.rng.chance(50) {
            (other, read)
        } else {
            (read, other)
        };
        match ty {
            Ty::Bool => E::Bin(self.rng.pick(&[Op::Eq, Op::Ne]), Box::new(a), Box::new(b)),
            t if *t == vt && !matches!(vt, Ty::Bool | Ty::Ts | Ty::Rec | Ty::Map(_)) => {
                E::Bin(Op::Add, Box::new(a), Box::new(b))
            }
            _ => self.expr(ty, depth),
        }
    }

    /// `m[k]` for any macro variable `k` over a map `m`, and its type.
    fn any_value_read(&mut self) -> Option<(E, Ty)> {
        let found: Vec<(String, String, Ty)> = self
            .vars
            .iter()
            .filter_map(|v| {
                let m = v.over.as_ref()?;
                match &self.vars.iter().find(|x| &x.name == m)?.ty {
                    Ty::Map(vt) => Some((m.clone(), v.name.clone(), (**vt).clone())),
                    _ => None,
                }
            })
            .collect();
        if found.is_empty() {
            return None;
        }
        let (m, k, vt) = found[self.rng.below(found.len())].clone();
        Some((E::Index(Box::new(E::Var(m)), Box::new(E::Var(k))), vt))
    }

    /// `m[k]` for a macro variable `k` over a map `m` of values of `ty`.
    fn value_read(&mut self, ty: &Ty) -> Option<E> {
        let found: Vec<(String, String)> = self
            .vars
            .iter()
            .filter_map(|v| {
                let m = v.over.as_ref()?;
                let mt = &self.vars.iter().find(|x| &x.name == m)?.ty;
                (*mt == Ty::Map(Box::new(ty.clone()))).then(|| (m.clone(), v.name.clone()))
            })
            .collect();
        if found.is_empty() {
            return None;
        }
        let (m, k) = found[self.rng.below(found.len())].clone();
        Some(E::Index(Box::new(E::Var(m)), Box::new(E::Var(k))))
    }

    /// A map to run a macro over: mostly a variable, as the evaluator binds
    /// each key's value (`m[k]`) only over a map held in one.
    fn map_target(&mut self, depth: u32) -> E {
        let maps: Vec<String> = self
            .vars
            .iter()
            .filter(|v| matches!(v.ty, Ty::Map(_)))
            .map(|v| v.name.clone())
            .collect();
        if !maps.is_empty() && self.rng.chance(70) {
            return E::Var(self.rng.pick(&maps));
        }
        let vt = self.ty(1);
        self.expr(&Ty::Map(Box::new(vt)), depth)
    }

    /// A macro: `kind` over a fresh list or map, its body built with the
    /// variable in scope. `body_ty` is the type the body must have.
    fn macro_of(
        &mut self,
        kind: &'static str,
        item: Option<Ty>,
        body_ty: &Ty,
        depth: u32,
    ) -> (E, Ty) {
        let over_map = item.is_none() && self.rng.chance(50);
        let (target, item_ty) = match (&item, over_map) {
            (Some(t), _) => (
                self.expr(&Ty::List(Box::new(t.clone())), depth - 1),
                t.clone(),
            ),
            (None, true) => (self.map_target(depth - 1), Ty::Str),
            (None, false) => {
                let it = self.ty(1);
                (self.expr(&Ty::List(Box::new(it.clone())), depth - 1), it)
            }
        };
        let name = format!("x{}", self.fresh);
        self.fresh += 1;
        let over = match (&target, over_map) {
            (E::Var(m), true) => Some(m.clone()),
            _ => None,
        };
        let reads = over.is_some() && self.rng.chance(60);
        self.vars.push(Var {
            name: name.clone(),
            ty: item_ty.clone(),
            over,
        });
        let body = if reads {
            self.reading_body(body_ty, depth - 1)
        } else {
            self.expr(body_ty, depth - 1)
        };
        self.vars.pop();
        (
            E::Macro(kind, Box::new(target), name, Box::new(body)),
            item_ty,
        )
    }

    fn expr(&mut self, ty: &Ty, depth: u32) -> E {
        if self.rng.chance(40) {
            if let Some(e) = self.value_read(ty) {
                return e;
            }
        }
        // Inside a macro over a map, compare the key's value with another
        // expression of its type, which may hold macros of its own.
        if *ty == Ty::Bool && self.rng.chance(40) {
            if let Some((read, vt)) = self.any_value_read() {
                let other = self.expr(&vt, depth.saturating_sub(1));
                let op = self.rng.pick(&[Op::Eq, Op::Ne]);
                return if self.rng.chance(50) {
                    E::Bin(op, Box::new(other), Box::new(read))
                } else {
                    E::Bin(op, Box::new(read), Box::new(other))
                };
            }
        }
        if depth == 0 || self.rng.chance(15) {
            return self.leaf(ty);
        }
        let d = depth - 1;
        // Forms that give any type.
        match self.rng.below(14) {
            0 => {
                return E::Cond(self.b(&Ty::Bool, d), self.b(ty, d), self.b(ty, d));
            }
            1 => {
                let lt = Ty::List(Box::new(ty.clone()));
                let index = self.index(d);
                return E::Index(self.b(&lt, d), Box::new(index));
            }
            2 => {
                let mt = Ty::Map(Box::new(ty.clone()));
                let key = self.key(d);
                return E::Index(self.b(&mt, d), Box::new(key));
            }
            3 => {
                let mt = Ty::Map(Box::new(ty.clone()));
                let key = self.key(d);
                return E::Method(self.b(&mt, d), "get", vec![key, self.expr(ty, d)]);
            }
            6 | 7 if RECORD.iter().any(|(_, t)| t == ty) => {
                // `r.f`; over a map of records, often `m[k].f`.
                let i = RECORD.iter().position(|(_, t)| t == ty).unwrap();
                let target = match self.value_read(&Ty::Rec) {
                    Some(read) if self.rng.chance(60) => read,
                    _ => self.expr(&Ty::Rec, d),
                };
                return E::Field(Box::new(target), i);
            }
            4 | 5 if depth >= 2 => {
                // A macro wherever a value of the type can come from one.
                match ty {
                    Ty::Bool => {
                        let kind = self.rng.pick(&["all", "exists", "exists_one"]);
                        return self.macro_of(kind, None, &Ty::Bool, depth).0;
                    }
                    Ty::Int | Ty::Float if self.rng.chance(50) => {
                        let m = self.macro_of("map", None, ty, depth).0;
                        return E::Call("sum", vec![m], ty.clone());
                    }
                    Ty::Int => {
                        let lt = Ty::List(Box::new(self.ty(1)));
                        let target = self.expr(&lt, d);
                        let item = match lt {
                            Ty::List(t) => *t,
                            _ => unreachable!(),
                        };
                        let f = self.filter_over(target, item, d);
                        return E::Call("size", vec![f], Ty::Int);
                    }
                    Ty::List(item) => {
                        let item = (**item).clone();
                        return self.macro_of("map", None, &item, depth).0;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        match ty {
            Ty::Int => match self.rng.below(9) {
                0..=2 => {
                    let op = self
                        .rng
                        .pick(&[Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Rem]);
                    E::Bin(op, self.b(ty, d), self.b(ty, d))
                }
                3 => E::Neg(self.b(ty, d)),
                4 => {
                    let t = self.rng.pick(&[
                        Ty::Str,
                        Ty::List(Box::new(Ty::Int)),
                        Ty::Map(Box::new(Ty::Bool)),
                    ]);
                    if self.rng.chance(50) {
                        E::Call("size", vec![self.expr(&t, d)], Ty::Int)
                    } else {
                        E::Method(self.b(&t, d), "size", vec![])
                    }
                }
                5 => {
                    let t = self.rng.pick(&[Ty::Float, Ty::Str, Ty::Int, Ty::Ts]);
                    E::Call("int", vec![self.expr(&t, d)], Ty::Int)
                }
                6 => E::Call(
                    "sum",
                    vec![self.expr(&Ty::List(Box::new(Ty::Int)), d)],
                    Ty::Int,
                ),
                7 => {
                    let f = self.rng.pick(&["min", "max"]);
                    E::Call(f, vec![self.expr(&Ty::List(Box::new(Ty::Int)), d)], Ty::Int)
                }
                _ => self.leaf(ty),
            },
            Ty::Float => match self.rng.below(8) {
                0..=2 => {
                    let op = self.rng.pick(&[Op::Add, Op::Sub, Op::Mul, Op::Div]);
                    E::Bin(op, self.b(ty, d), self.b(ty, d))
                }
                3 => E::Neg(self.b(ty, d)),
                4 => {
                    let t = self.rng.pick(&[Ty::Float, Ty::Str, Ty::Int]);
                    E::Call("float", vec![self.expr(&t, d)], Ty::Float)
                }
                5 => E::Call(
                    "sum",
                    vec![self.expr(&Ty::List(Box::new(Ty::Float)), d)],
                    Ty::Float,
                ),
                6 => {
                    let f = self.rng.pick(&["min", "max"]);
                    E::Call(
                        f,
                        vec![self.expr(&Ty::List(Box::new(Ty::Float)), d)],
                        Ty::Float,
                    )
                }
                _ => self.leaf(ty),
            },
            Ty::Bool => match self.rng.below(12) {
                0 | 1 => {
                    let t = self.ty(1);
                    let op = self.rng.pick(&[Op::Eq, Op::Ne]);
                    E::Bin(op, self.b(&t, d), self.b(&t, d))
                }
                2 | 3 => {
                    let t =
                        self.rng
                            .pick(&[Ty::Int, Ty::Float, Ty::Str, Ty::Bool, Ty::Float, Ty::Ts]);
                    let op = self.rng.pick(&[Op::Lt, Op::Le, Op::Gt, Op::Ge]);
                    E::Bin(op, self.b(&t, d), self.b(&t, d))
                }
                4 => E::And(self.b(ty, d), self.b(ty, d)),
                5 => E::Or(self.b(ty, d), self.b(ty, d)),
                6 => E::Not(self.b(ty, d)),
                7 => {
                    if self.rng.chance(50) {
                        let t = self.ty(1);
                        let lt = Ty::List(Box::new(t.clone()));
                        E::Bin(Op::In, self.b(&t, d), self.b(&lt, d))
                    } else {
                        let mt = Ty::Map(Box::new(self.ty(1)));
                        let key = self.key(d);
                        E::Bin(Op::In, Box::new(key), self.b(&mt, d))
                    }
                }
                8 if self.rng.chance(30) => {
                    // A literal pattern is compiled with the model; one
                    // from an expression when it runs.
                    let pattern = if self.rng.chance(70) {
                        E::Lit(V::Str(self.rng.pick(&PATTERNS[..7]).to_string()))
                    } else {
                        E::Cond(
                            self.b(&Ty::Bool, d),
                            Box::new(E::Lit(V::Str(self.rng.pick(PATTERNS).to_string()))),
                            self.b(&Ty::Str, d),
                        )
                    };
                    E::Method(self.b(&Ty::Str, d), "matches", vec![pattern])
                }
                8 => {
                    let m = self.rng.pick(&["contains", "startsWith", "endsWith"]);
                    E::Method(self.b(&Ty::Str, d), m, vec![self.expr(&Ty::Str, d)])
                }
                9 | 10 => {
                    let kind = self.rng.pick(&["all", "exists", "exists_one"]);
                    self.macro_of(kind, None, &Ty::Bool, depth).0
                }
                _ => self.leaf(ty),
            },
            Ty::Str => match self.rng.below(8) {
                0 | 1 => E::Bin(Op::Add, self.b(ty, d), self.b(ty, d)),
                2 => {
                    let t = self
                        .rng
                        .pick(&[Ty::Int, Ty::Float, Ty::Bool, Ty::Str, Ty::Ts]);
                    E::Call("string", vec![self.expr(&t, d)], Ty::Str)
                }
                3 => {
                    let m = self.rng.pick(&["lowerAscii", "upperAscii", "trim"]);
                    E::Method(self.b(ty, d), m, vec![])
                }
                4 => {
                    let n = 1 + self.rng.below(2);
                    let parts = (0..n)
                        .map(|_| {
                            let t = self
                                .rng
                                .pick(&[Ty::Int, Ty::Float, Ty::Bool, Ty::Str, Ty::Ts]);
                            (self.rng.pick(STRS).to_string(), self.expr(&t, d))
                        })
                        .collect();
                    E::Interp(parts, self.rng.pick(STRS).to_string())
                }
                5 => {
                    let f = self.rng.pick(&["min", "max"]);
                    E::Call(f, vec![self.expr(&Ty::List(Box::new(Ty::Str)), d)], Ty::Str)
                }
                _ => self.leaf(ty),
            },
            Ty::Rec => match self.rng.below(3) {
                0 => E::Rec(RECORD.iter().map(|(_, t)| self.expr(t, d)).collect()),
                _ => self.leaf(ty),
            },
            Ty::Ts => match self.rng.below(4) {
                0 => {
                    let f = self.rng.pick(&["min", "max"]);
                    E::Call(f, vec![self.expr(&Ty::List(Box::new(Ty::Ts)), d)], Ty::Ts)
                }
                1 => E::Call("timestamp", vec![self.expr(ty, d)], Ty::Ts),
                _ => self.leaf(ty),
            },
            Ty::List(item) => match self.rng.below(8) {
                0 => {
                    let n = 1 + self.rng.below(3);
                    E::List((0..n).map(|_| self.expr(item, d)).collect())
                }
                1 => E::Bin(Op::Add, self.b(ty, d), self.b(ty, d)),
                2 | 3 => self.macro_of("map", None, item, depth).0,
                4 | 5 => {
                    if **item == Ty::Str && self.rng.chance(40) {
                        // Over a map: the keys that pass.
                        let target = self.map_target(d);
                        self.filter_over(target, Ty::Str, d)
                    } else {
                        let target = self.expr(ty, d);
                        self.filter_over(target, (**item).clone(), d)
                    }
                }
                6 if **item == Ty::Str => {
                    let mt = Ty::Map(Box::new(self.ty(1)));
                    E::Call("keys", vec![self.expr(&mt, d)], ty.clone())
                }
                6 => {
                    let mt = Ty::Map(item.clone());
                    E::Call("values", vec![self.expr(&mt, d)], ty.clone())
                }
                _ => self.leaf(ty),
            },
            Ty::Map(item) => match self.rng.below(3) {
                0 => {
                    let n = 1 + self.rng.below(3);
                    let mut keys: Vec<&str> = KEYS.to_vec();
                    let entries = (0..n)
                        .map(|_| {
                            let k = keys.remove(self.rng.below(keys.len()));
                            (k.to_string(), self.expr(item, d))
                        })
                        .collect();
                    E::Map(entries)
                }
                _ => self.leaf(ty),
            },
        }
    }

    fn filter_over(&mut self, target: E, item_ty: Ty, d: u32) -> E {
        let name = format!("x{}", self.fresh);
        self.fresh += 1;
        let over = match (&target, item_ty == Ty::Str) {
            (E::Var(m), true)
                if self
                    .vars
                    .iter()
                    .any(|v| &v.name == m && matches!(v.ty, Ty::Map(_))) =>
            {
                Some(m.clone())
            }
            _ => None,
        };
        self.vars.push(Var {
            name: name.clone(),
            ty: item_ty,
            over,
        });
        let body = self.expr(&Ty::Bool, d);
        self.vars.pop();
        E::Macro("filter", Box::new(target), name, Box::new(body))
    }
}

/// One generated model: its source, its state as JSON, and for each query
/// and for the command the expected canonical JSON or error code.
struct Case {
    source: String,
    state: String,
    queries: Vec<(String, Result<String, &'static str>)>,
    command: Result<String, &'static str>,
}

fn case(seed: u64, depth: u32) -> Case {
    let mut g = Gen {
        rng: Rng(seed),
        vars: Vec::new(),
        fresh: 0,
    };
    let mut env = Env::new();
    let mut fields = Vec::new();
    let mut state = Vec::new();
    for i in 0..2 + g.rng.below(4) {
        // At least one map and one list, for the macros to run over.
        let ty = match i {
            0 if g.rng.chance(30) => Ty::Map(Box::new(Ty::Str)),
            0 if g.rng.chance(30) => Ty::Map(Box::new(Ty::Rec)),
            0 => Ty::Map(Box::new(g.ty(1))),
            1 => Ty::List(Box::new(g.ty(1))),
            // A timestamp field would need a default: hold one in a list.
            _ => match g.ty(2) {
                Ty::Ts => Ty::List(Box::new(Ty::Ts)),
                Ty::Rec => Ty::Map(Box::new(Ty::Rec)),
                t => t,
            },
        };
        let v = g.value(&ty);
        let name = format!("f{i}");
        fields.push(format!("    {name}: {}", ty.src()));
        state.push(format!("\"{name}\":{}", v.json()));
        env.insert(name.clone(), v);
        g.vars.push(Var {
            name,
            ty,
            over: None,
        });
    }
    let record: Vec<String> = RECORD
        .iter()
        .map(|(name, t)| format!("    {name}: {}", t.src()))
        .collect();
    let mut source = format!(
        "model D {{\n  record R {{\n{}\n  }}\n  state {{\n{}\n  }}\n",
        record.join("\n"),
        fields.join("\n")
    );
    let mut queries = Vec::new();
    for i in 0..4 {
        let ty = g.ty(2);
        let e = g.expr(&ty, depth);
        source.push_str(&format!("  query q{i}(): {} = {}\n", ty.src(), e.src()));
        queries.push((format!("q{i}"), eval(&e, &env).map(|v| v.json())));
    }
    // A command: `let`s over the state and each other, then one event.
    let mut body = String::new();
    let mut cenv = env.clone();
    let mut command = Ok(());
    for i in 0..1 + g.rng.below(3) {
        let ty = g.ty(2);
        let e = g.expr(&ty, depth);
        let name = format!("l{i}");
        body.push_str(&format!("    let {name} = {}\n", e.src()));
        // After a failing `let`, nothing else runs.
        if command.is_ok() {
            match eval(&e, &cenv) {
                Ok(v) => {
                    cenv.insert(name.clone(), v);
                }
                Err(code) => command = Err(code),
            }
        }
        g.vars.push(Var {
            name,
            ty,
            over: None,
        });
    }
    let ty = g.ty(2);
    let e = g.expr(&ty, depth);
    body.push_str(&format!("    emit e(r: {})\n", e.src()));
    let command = command
        .and_then(|()| eval(&e, &cenv))
        .map(|v| format!(r#"[{{"type":"e","data":{{"r":{}}}}}]"#, v.json()));
    source.push_str(&format!("  command c() {{\n{body}  }}\n"));
    source.push_str(&format!("  event e(r: {}) {{ }}\n}}\n", ty.src()));
    Case {
        source,
        state: format!("{{{}}}", state.join(",")),
        queries,
        command,
    }
}

fn check(seed: u64, depth: u32) -> Result<(), TestCaseError> {
    let c = case(seed, depth);
    if std::env::var("EVENTFOLD_DIFF_DUMP").is_ok() {
        eprintln!("{}", c.source);
    }
    let d = Domain::compile(&[Source::new("d.model", &c.source)])
        .unwrap_or_else(|e| panic!("a generated model does not compile: {e}\n{}", c.source));
    let code = |e: eventfold::Error| e.code();
    for (name, want) in &c.queries {
        let got = d.query_json("D", Some(&c.state), name, None).map_err(code);
        if &got != want {
            return Err(TestCaseError::fail(format!(
                "query {name}: engine {got:?}, reference {want:?}\nstate {}\n{}",
                c.state, c.source
            )));
        }
    }
    let got = d
        .propose_json("D", Some(&c.state), r#"{"type":"c"}"#, None)
        .map_err(code);
    if got != c.command {
        return Err(TestCaseError::fail(format!(
            "command c: engine {got:?}, reference {:?}\nstate {}\n{}",
            c.command, c.state, c.source
        )));
    }
    Ok(())
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}"))
    })
}

#[test]
fn the_evaluator_agrees_with_the_reference_interpreter() {
    let cases = env_u64("EVENTFOLD_DIFF_CASES").unwrap_or(30_000) as u32;
    let seed = env_u64("EVENTFOLD_DIFF_SEED").unwrap_or(10);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        // Shrinking lowers the depth, which gives a smaller model.
        max_shrink_iters: 64,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = (proptest::num::u64::ANY, 1u32..=4);
    if let Err(e) = runner.run(&strategy, |(s, depth)| check(s, depth)) {
        panic!("{e}");
    }
}

/// The generator's own cases are reproducible: one seed, one model.
#[test]
fn a_case_is_its_seed() {
    let (a, b) = (case(7, 3), case(7, 3));
    assert_eq!(a.source, b.source);
    assert_eq!(a.state, b.state);
}

/// Every builtin of the language's table is one the generator writes, so
/// the reference interpreter checks it; a new builtin fails this test until
/// the generator and the reference learn it (or it is listed below, with
/// why not).
#[test]
fn the_generator_covers_every_builtin() {
    use eventfold::language::builtins::{Form, BUILTINS};
    // Not generated: the generator has no optional types, and no
    // durations or time zones yet (§14 is tested by `tests/durations.rs`,
    // the CEL conformance cases and the shared time scenarios).
    const NOT_GENERATED: &[&str] = &[
        "orValue",
        "duration",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
    ];
    let sources: Vec<String> = (0..3000).map(|s| case(s, 4).source).collect();
    let called = |name: &str, method: bool| {
        sources.iter().any(|src| {
            src.match_indices(&format!("{name}(")).any(|(i, _)| {
                let before = src[..i].chars().next_back();
                if method {
                    before == Some('.')
                } else {
                    !before.is_some_and(|c| c == '.' || c == '_' || c.is_alphanumeric())
                }
            })
        })
    };
    let missing: Vec<&str> = BUILTINS
        .iter()
        .filter(|b| !NOT_GENERATED.contains(&b.name))
        .filter(|b| !called(b.name, matches!(b.form, Form::Method(_))))
        .map(|b| b.name)
        .collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
    for name in NOT_GENERATED {
        assert!(
            BUILTINS.iter().any(|b| b.name == *name),
            "`{name}` is a builtin"
        );
    }
}
