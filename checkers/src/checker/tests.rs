use serde_json::json;

use super::*;
use crate::history::load_str;

/// Options `checker` accepts: none, or each model for checkers that take one.
fn valid_options(checker: &dyn Checker) -> Vec<CheckerOptions> {
    let mut all = vec![CheckerOptions::default()];
    all.extend(ModelKind::ALL.map(|m| CheckerOptions { model: Some(m), ..CheckerOptions::default() }));
    all.into_iter().filter(|o| CheckSpec::new(checker.name(), o.clone()).prepare().is_ok()).collect()
}

/// A history of one completed op per `(f, value)`, by process 0, plus a nemesis op.
fn history(ops: &[(&str, serde_json::Value)]) -> History {
    let mut lines =
        vec![json!({"index": 0, "time": 0, "type": "info", "process": "nemesis", "f": "start", "value": null})];
    for (f, value) in ops {
        let n = lines.len() as u64;
        lines.push(json!({"index": n, "time": n, "type": "invoke", "process": 0, "f": f, "value": value}));
        lines.push(json!({"index": n + 1, "time": n + 1, "type": "ok", "process": 0, "f": f, "value": value}));
    }
    load_str(&serde_json::Value::Array(lines).to_string(), "test.json").unwrap()
}

#[test]
fn every_registered_checker_is_complete() {
    let mut seen = Vec::new();
    for checker in REGISTRY {
        let name = checker.name();
        assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{name:?}");
        assert!(!seen.contains(&name), "{name} is registered twice");
        seen.push(name);
        assert!(find(name).is_ok_and(|c| c.name() == name));
        assert!(!checker.about().is_empty() && !checker.about().contains('\n'), "{name}: about");
        let takes = checker.takes();
        assert!(takes.iter().all(|o| takes.iter().filter(|p| *p == o).count() == 1), "{name}: an option twice");
        let options = valid_options(*checker);
        assert!(!options.is_empty(), "{name}: no options it takes satisfy it");
        for options in options {
            let reads = checker.reads(&options);
            let ops: Vec<(&str, serde_json::Value)> = match reads {
                Reads::Functions(fs) => {
                    assert!(!fs.is_empty(), "{name}: reads no f");
                    fs.iter().map(|f| (*f, json!(1))).collect()
                }
                Reads::Transactions => vec![("txn", json!([["r", 1, null]]))],
            };
            let spec = CheckSpec { checker: name.to_string(), options };
            let result = spec.run(&history(&ops)).unwrap();
            assert_eq!(result.checker, name, "{name} is wired to another checker");
            assert_ne!(result.unknown_reason.as_deref().map(|r| r.starts_with(NO_OPS)), Some(true), "{name}");
        }
    }
    assert!(find("nosuch").err().unwrap().contains("linearizable, list-append"));
}

#[test]
fn a_history_with_no_ops_for_the_checker_is_unknown_for_every_checker() {
    let others = history(&[("frobnicate", json!(7))]);
    for checker in REGISTRY {
        for options in valid_options(*checker) {
            let spec = CheckSpec { checker: checker.name().to_string(), options };
            for (what, h) in [("empty", History::default()), ("other ops", others.clone())] {
                let result = spec.run(&h).unwrap();
                assert_eq!(result.validity, Validity::Unknown, "{} on {what}", checker.name());
                let reason = result.unknown_reason.unwrap_or_default();
                assert!(reason.starts_with(NO_OPS), "{} on {what}: {reason}", checker.name());
            }
        }
    }
}

#[test]
fn an_option_the_checker_does_not_take_is_refused_naming_what_it_takes() {
    let independent = CheckerOptions {
        semantics: SemanticsOverride { independent: Some(true), ..SemanticsOverride::default() },
        ..CheckerOptions::default()
    };
    let e = CheckSpec::new("set", independent.clone()).prepare().err().unwrap();
    assert_eq!(e, "--checker set does not take --independent; it takes no options");
    let model = CheckerOptions { model: Some(ModelKind::Register), ..independent };
    let e = CheckSpec::new("list-append", model).prepare().err().unwrap();
    assert_eq!(
        e,
        "--checker list-append does not take --model, --independent; it takes --consistency-model, --time-budget"
    );
    let e = CheckSpec::new("linearizable", CheckerOptions::default()).prepare().err().unwrap();
    assert!(e.contains("needs --model"), "{e}");
    assert!(CheckSpec::new("nosuch", CheckerOptions::default()).prepare().is_err());
}

#[test]
fn default_budgets_go_only_to_checkers_that_take_them_and_never_replace_a_given_one() {
    let spec = |name: &str, options: CheckerOptions| CheckSpec::new(name, options).with_default_budgets().options;
    let lin = spec(crate::linearizable::CHECKER, CheckerOptions::default());
    assert_eq!((lin.time_budget, lin.memory_budget_bytes), (Some(DEFAULT_TIME_BUDGET), Some(DEFAULT_MEMORY_BUDGET)));
    let given = CheckerOptions { time_budget: Some(Duration::from_secs(2)), ..CheckerOptions::default() };
    assert_eq!(spec(crate::linearizable::CHECKER, given).time_budget, Some(Duration::from_secs(2)));
    for checker in REGISTRY {
        let options = spec(checker.name(), CheckerOptions::default());
        assert_eq!(
            options.time_budget.is_some(),
            checker.takes().contains(&CheckerOption::TimeBudget),
            "{}",
            checker.name()
        );
        assert_eq!(options.memory_budget_bytes.is_some(), checker.takes().contains(&CheckerOption::MemoryBudget));
        if let Err(e) = CheckSpec::new(checker.name(), options).prepare() {
            assert!(!e.contains("budget"), "{}: a default budget is never refused: {e}", checker.name());
        }
    }
}
