//! Parse and evaluation errors, limits, and mapper trees.

use serde_json::json;

use super::{outputs, run, secrets, vars};
use crate::iml::{check, evaluate, Scope};

/// (template, words the message must contain, function named, position).
#[test]
fn errors() {
    let rows: &[(&str, &str, Option<&str>, Option<usize>)] = &[
        ("{{1.name", "unbalanced braces", None, Some(0)),
        ("ok {{upper(1.name}}", "never closed", None, Some(10)),
        ("{{}}", "empty expression", None, None),
        ("{{nosuch(1)}}", "unknown function `nosuch`", None, Some(2)),
        ("{{upper(1; 2)}}", "takes 1 argument(s), got 2", None, None),
        ("{{if(1)}}", "takes 2 to 3 argument(s), got 1", None, None),
        ("{{replace(a)}}", "takes 3 argument(s), got 1", None, None),
        ("{{nmae}}", "unknown name `nmae`", None, Some(2)),
        ("{{1 +}}", "missing operand", None, None),
        ("{{(1 + 2}}", "unbalanced parentheses", None, None),
        ("{{\"abc}}", "unterminated string", None, Some(2)),
        ("{{1.items[1}}", "never closed", None, None),
        ("{{1 2}}", "unexpected `2`", None, None),
        (
            "{{1.name - 1}}",
            "expects numbers, got text \"Ada\"",
            Some("-"),
            None,
        ),
        ("{{1.n / 0}}", "division by zero", Some("/"), None),
        (
            "{{1.nums + true}}",
            "cannot add array and boolean",
            Some("+"),
            None,
        ),
        (
            "{{length(1.n) + upper(1.items)}}",
            "argument 1 must be text, got array",
            Some("upper"),
            Some(16),
        ),
        (
            "{{first(1.name)}}",
            "must be an array, got text",
            Some("first"),
            None,
        ),
        (
            "{{parseNumber(abc)}}",
            "\"abc\" is not a number",
            Some("parseNumber"),
            None,
        ),
        (
            "{{formatDate(not a date; YYYY)}}",
            "is not a date",
            Some("formatDate"),
            None,
        ),
        (
            "{{formatDate(now; YYYY; Europe/Prague)}}",
            "not supported",
            Some("formatDate"),
            None,
        ),
        (
            "{{parseDate(2024; DD/MM/YYYY)}}",
            "does not match the format",
            Some("parseDate"),
            None,
        ),
        (
            "{{sort(1.nums; sideways)}}",
            "order must be",
            Some("sort"),
            None,
        ),
        (
            "{{replace(x; \"/(/g\"; y)}}",
            "invalid regular expression",
            Some("replace"),
            None,
        ),
        (
            "{{keys(1.nums)}}",
            "must be a collection",
            Some("keys"),
            None,
        ),
        ("{{round(1.name)}}", "must be a number", Some("round"), None),
        (
            "{{sha256(x; hexx)}}",
            "encoding must be",
            Some("sha256"),
            None,
        ),
    ];
    for (template, words, function, position) in rows {
        let error = run(template).expect_err(template);
        assert!(error.message.contains(words), "{template}: {error}");
        assert_eq!(error.function.as_deref(), *function, "{template}: {error}");
        assert_eq!(error.expression, *template);
        if let Some(position) = position {
            assert_eq!(error.position, *position, "{template}: {error}");
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowing() {
    let deep = format!("{{{{{}1{}}}}}", "(".repeat(5000), ")".repeat(5000));
    assert!(run(&deep).unwrap_err().message.contains("too deeply"));
    let long = format!("{{{{{}}}}}", vec!["1"; 5000].join(" + "));
    assert!(run(&long).is_err());
    let calls = format!("{{{{{}1{}}}}}", "upper(".repeat(3000), ")".repeat(3000));
    assert!(run(&calls).is_err());
}

#[test]
fn mapper_trees() {
    let outputs = outputs();
    let vars = vars();
    let scope = Scope {
        outputs: &outputs,
        vars: &vars,
        secrets: secrets(),
    };
    let mapper = json!({"a": "{{1.n}}", "b": ["x{{1.n}}", 3, {"c": "{{1.nums}}"}], "d": true});
    assert_eq!(
        evaluate(&mapper, scope).unwrap(),
        json!({"a": 5, "b": ["x5", 3, {"c": [3, 1, 2, 3]}], "d": true})
    );
    let (path, error) =
        check(&json!({"ok": "{{1.n}}", "list": [1, {"bad": "{{upper(}}"}]})).unwrap_err();
    assert_eq!(path, "list[2].bad");
    assert!(error.message.contains("never closed"), "{error}");
    assert!(check(&json!({"fine": ["{{1.a}}", "text"]})).is_ok());
}

/// Found by fuzzing: unquoted arguments with stray `]` used to make the
/// fallback scan stop earlier than the failed parse, so every nested call
/// was parsed twice (exponential time).
#[test]
fn stray_brackets_in_unquoted_arguments_parse_in_linear_time() {
    for unit in ["merge(x];", "merge( +5];", "merge(]];", "merge(a[1;"] {
        let template = format!("{{{{replace(a;{} )}}}}", unit.repeat(40));
        let started = std::time::Instant::now();
        let _ = run(&template);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{unit}: {:?}",
            started.elapsed()
        );
    }
    assert_eq!(run("{{join(split(\"a]b\"; ]); -)}}").unwrap(), json!("a-b"));
    assert_eq!(run("{{if(true; a]b; c)}}").unwrap(), json!("a]b"));
}
