//! Flow directives: `then` targets must exist in their own list; tasks nothing leads to are flagged.

use crate::diagnostic::{Code, Pos, did_you_mean};
use crate::model::FlowDirective;
use crate::parse::{Ctx, child};
use crate::yaml::{Node, Value};

/// A `then` whose target is not in its list; reported once all task names are known.
pub(crate) struct PendingJump {
    target: String,
    pos: Pos,
    pointer: String,
    siblings: Vec<String>,
}

/// `(target, position, pointer)` of every `then` written on the task `body` or its switch cases.
fn then_refs(body: &Node, pointer: &str) -> Vec<(String, Pos, String)> {
    let mut out = Vec::new();
    let Value::Map(fields) = &body.value else {
        return out;
    };
    for (k, v) in fields {
        match (k.name.as_str(), &v.value) {
            ("then", Value::Str(s)) => out.push((s.clone(), v.pos, child(pointer, "then"))),
            ("switch", Value::Seq(cases)) => {
                for (i, case) in cases.iter().enumerate() {
                    let Value::Map(c) = &case.value else { continue };
                    for (name, body) in c {
                        let Value::Map(cf) = &body.value else {
                            continue;
                        };
                        for (ck, cv) in cf {
                            if let ("then", Value::Str(s)) = (ck.name.as_str(), &cv.value) {
                                let p = child(
                                    &child(
                                        &child(&child(pointer, "switch"), &i.to_string()),
                                        &name.name,
                                    ),
                                    "then",
                                );
                                out.push((s.clone(), cv.pos, p));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Checks the `then` targets of one task list from its YAML, so they are checked even when a
/// sibling task has errors of its own.
/// Returns whether every target was found.
pub(crate) fn check_targets(ctx: &mut Ctx, items: &[Node], pointer: &str) -> bool {
    let entries: Vec<(String, &Node, String)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match &item.value {
            Value::Map(entry) if entry.len() == 1 => {
                let (key, body) = &entry[0];
                Some((
                    key.name.clone(),
                    body,
                    child(&child(pointer, &i.to_string()), &key.name),
                ))
            }
            _ => None,
        })
        .collect();
    let mut names: Vec<String> = Vec::with_capacity(entries.len());
    for (name, _, _) in &entries {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    ctx.task_names.extend(names.iter().cloned());
    let mut all_found = true;
    for (_, body, task_pointer) in &entries {
        for (target, pos, pointer) in then_refs(body, task_pointer) {
            if matches!(FlowDirective::parse(&target), FlowDirective::Goto(_))
                && !names.contains(&target)
            {
                all_found = false;
                ctx.pending_jumps.push(PendingJump {
                    target,
                    pos,
                    pointer,
                    siblings: names.clone(),
                });
            }
        }
    }
    all_found
}

/// How one task of a list can pass control on, read from its YAML.
struct Exits {
    name: String,
    /// Has an `if`: when skipped it continues with the next task.
    conditional: bool,
    /// Its `then` (absent means `continue`).
    then: Option<String>,
    /// For a `switch`: each case's `then`, and whether there is a default case.
    switch: Option<(Vec<String>, bool)>,
}

impl Exits {
    /// `None` when the task is too malformed to tell where it goes.
    fn read(name: &str, body: &Node) -> Option<Exits> {
        let mut out = Exits {
            name: name.to_owned(),
            conditional: false,
            then: None,
            switch: None,
        };
        let Value::Map(fields) = &body.value else {
            return None;
        };
        for (k, v) in fields {
            match (k.name.as_str(), &v.value) {
                ("if", _) => out.conditional = true,
                ("then", Value::Str(s)) => out.then = Some(s.clone()),
                ("switch", Value::Seq(cases)) => {
                    let mut thens = Vec::new();
                    let mut has_default = false;
                    for case in cases {
                        let Value::Map(c) = &case.value else {
                            return None;
                        };
                        let [(_, case_body)] = c.as_slice() else {
                            return None;
                        };
                        let Value::Map(cf) = &case_body.value else {
                            return None;
                        };
                        has_default |= !cf.iter().any(|(ck, _)| ck.name == "when");
                        match cf
                            .iter()
                            .find(|(ck, _)| ck.name == "then")
                            .map(|(_, cv)| cv.as_str())
                        {
                            Some(Some(then)) => thens.push(then.to_owned()),
                            _ => return None,
                        }
                    }
                    out.switch = Some((thens, has_default));
                }
                _ => {}
            }
        }
        Some(out)
    }
}

/// Warns about tasks of a list that no path from its first task reaches. Read from the YAML, so
/// it works even when a sibling task has errors of its own.
pub(crate) fn check_reachable(ctx: &mut Ctx, items: &[Node], pointer: &str) {
    let mut tasks = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match &item.value {
            Value::Map(entry) if entry.len() == 1 => {
                let (key, body) = &entry[0];
                // A task whose exits cannot be read could lead anywhere: say nothing.
                let Some(exits) = Exits::read(&key.name, body) else {
                    return;
                };
                tasks.push((
                    exits,
                    key.pos,
                    child(&child(pointer, &i.to_string()), &key.name),
                ));
            }
            // A malformed entry has no known exits; say nothing about the list.
            _ => return,
        }
    }
    let exits: Vec<&Exits> = tasks.iter().map(|(e, _, _)| e).collect();
    for i in unreachable(&exits) {
        let (exits, pos, task_pointer) = &tasks[i];
        ctx.error_help(
            Code::UnreachableTask,
            *pos,
            task_pointer,
            format!("task `{}` can never run", exits.name),
            "no path leads here: the tasks before it end with `then: end`, `exit` or a jump past it, and no `then` names it; remove it or jump to it",
        );
    }
}

/// Indices of tasks that no path from the first task reaches.
fn unreachable(tasks: &[&Exits]) -> Vec<usize> {
    let index = |name: &str| tasks.iter().position(|t| t.name == name);
    let mut seen = vec![false; tasks.len()];
    let mut todo = vec![0usize];
    while let Some(i) = todo.pop() {
        if i >= tasks.len() || seen[i] {
            continue;
        }
        seen[i] = true;
        let task = tasks[i];
        let mut directives: Vec<&str> = Vec::new();
        // A task skipped by its `if` continues with the next task.
        let mut falls_through = task.conditional;
        if let Some((cases, has_default)) = &task.switch {
            directives.extend(cases.iter().map(String::as_str));
            // With no default case, an unmatched switch follows its own `then`.
            if !has_default {
                directives.push(task.then.as_deref().unwrap_or("continue"));
            }
        } else {
            directives.push(task.then.as_deref().unwrap_or("continue"));
        }
        for d in directives {
            match FlowDirective::parse(d) {
                FlowDirective::Continue => falls_through = true,
                FlowDirective::Goto(name) => todo.extend(index(&name)),
                FlowDirective::Exit | FlowDirective::End => {}
            }
        }
        if falls_through {
            todo.push(i + 1);
        }
    }
    (0..tasks.len()).filter(|i| !seen[*i]).collect()
}

/// Reports every pending jump, now that all task names are known.
pub(crate) fn finish(ctx: &mut Ctx) {
    for jump in std::mem::take(&mut ctx.pending_jumps) {
        if ctx.task_names.contains(&jump.target) {
            ctx.error_help(
                Code::ThenOtherDepth,
                jump.pos,
                &jump.pointer,
                format!("`then: {}` jumps to a task in another list", jump.target),
                "a flow directive can only go to a task in its own list; move the task, or jump to a task of this list that leads there",
            );
        } else {
            let help = match did_you_mean(&jump.target, jump.siblings.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "`then` takes `continue`, `exit`, `end` or the name of a task in this list: {}",
                    jump.siblings.join(", ")
                ),
            };
            ctx.error_help(
                Code::UnknownThenTarget,
                jump.pos,
                &jump.pointer,
                format!("`then: {}` names no task", jump.target),
                help,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Code;

    fn warnings(tasks: &str) -> Vec<(Code, u32)> {
        let flow = format!(
            "document: {{dsl: '1.0.3', namespace: t, name: t, version: '1.0.0'}}\ndo:\n{tasks}"
        );
        match crate::load(flow.as_bytes(), &[]) {
            Ok(l) => l.warnings.iter().map(|d| (d.code, d.pos.line)).collect(),
            Err(d) => panic!("invalid: {d:?}"),
        }
    }

    #[test]
    fn unmatched_switch_follows_its_own_then() {
        let w = warnings(
            "  - pick:\n      switch:\n        - red: {when: '.red', then: paint}\n      then: end\n  - skipped:\n      set: {a: 1}\n  - paint:\n      set: {b: 1}\n",
        );
        assert_eq!(w, vec![(Code::UnreachableTask, 7)]);
    }

    #[test]
    fn if_and_default_cases_keep_tasks_reachable() {
        assert!(warnings("  - a:\n      if: .x\n      set: {a: 1}\n      then: end\n  - b:\n      set: {b: 1}\n").is_empty());
        assert!(warnings("  - pick:\n      switch:\n        - red: {when: '.red', then: c}\n        - other: {then: continue}\n  - b:\n      set: {b: 1}\n  - c:\n      set: {c: 1}\n").is_empty());
    }
}
