//! Table-driven tests of IML: one row per function, operator and keyword,
//! references, templates, and errors.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{Scope, Template};

mod errors;
mod functions;

pub(super) fn outputs() -> BTreeMap<i64, Value> {
    let mut map = BTreeMap::new();
    map.insert(
        1,
        json!({
            "name": "Ada", "n": 5, "f": 2.5, "text": "  Hello World  ", "csv": "a,b,c",
            "items": [{"name": "a", "v": 3, "k": "x"}, {"name": "b", "v": 1, "k": "y"}, {"name": "c", "v": 2, "k": "x"}],
            "nums": [3, 1, 2, 3], "words": ["b", "A", "c"], "empty": "", "nothing": null,
            "field with spaces": "spaced", "nested": {"sub": {"deep": true}}, "date": "2024-01-15T10:30:00.000Z",
            "flag": false, "numtext": "12"
        }),
    );
    map.insert(2, json!({"items": [[1, 2], [3]], "obj": {"b": 2, "a": 1}}));
    map
}

pub(super) fn vars() -> Value {
    json!({"input": {"city": "Paris", "count": 3}, "scenario": {"id": 7, "name": "demo"}, "execution": {"id": "abc123"}})
}

pub(super) fn secrets() -> &'static std::collections::BTreeMap<String, String> {
    static SECRETS: std::sync::LazyLock<std::collections::BTreeMap<String, String>> =
        std::sync::LazyLock::new(|| [("API_TOKEN".to_owned(), "tok-123".to_owned())].into());
    &SECRETS
}

pub(super) fn run(template: &str) -> Result<Value, super::ImlError> {
    let outputs = outputs();
    let vars = vars();
    Template::parse(template)?.eval(Scope {
        outputs: &outputs,
        vars: &vars,
        secrets: secrets(),
    })
}

pub(super) fn check_rows(rows: &[(&str, Value)]) {
    for (template, expected) in rows {
        match run(template) {
            Ok(value) => assert_eq!(&value, expected, "{template}"),
            Err(error) => panic!("{template}: {error}"),
        }
    }
}

#[test]
fn references_and_templates() {
    check_rows(&[
        ("{{1.name}}", json!("Ada")),
        ("{{1.n}}", json!(5)),
        (
            "{{1.items}}",
            json!([{"name": "a", "v": 3, "k": "x"}, {"name": "b", "v": 1, "k": "y"}, {"name": "c", "v": 2, "k": "x"}]),
        ),
        ("{{1.items[1].name}}", json!("a")),
        ("{{1.items[3].name}}", json!("c")),
        ("{{1.items[0].name}}", json!(null)),
        ("{{1.items[4]}}", json!(null)),
        ("{{1.items[1 + 1].name}}", json!("b")),
        ("{{1.items.name}}", json!(["a", "b", "c"])),
        ("{{1.nested.sub.deep}}", json!(true)),
        ("{{1.nested[\"sub\"].deep}}", json!(true)),
        ("{{1.`field with spaces`}}", json!("spaced")),
        ("{{1.missing.deeper}}", json!(null)),
        ("{{9.anything}}", json!(null)),
        ("{{2.items[1][2]}}", json!(2)),
        ("{{var.input.city}}", json!("Paris")),
        ("{{var.scenario.id}}", json!(7)),
        ("{{var.execution.id}}", json!("abc123")),
        ("Hi {{1.name}}!", json!("Hi Ada!")),
        ("{{1.n}} items", json!("5 items")),
        (" {{1.n}}", json!(" 5")),
        ("{{1.name}}{{1.n}}", json!("Ada5")),
        ("[{{1.nums}}]", json!("[3, 1, 2, 3]")),
        ("{{1.nested.sub}}!", json!("{\"deep\":true}!")),
        ("x{{null}}y", json!("xy")),
        ("{{1.f}} and {{1.flag}}", json!("2.5 and false")),
        ("plain text", json!("plain text")),
        ("", json!("")),
        ("a }} b", json!("a }} b")),
        ("{{\"}}\"}}", json!("}}")),
        ("{{split(1.csv; ,)[2]}}", json!("b")),
    ]);
}

#[test]
fn keywords_and_literals() {
    check_rows(&[
        ("{{null}}", json!(null)),
        ("{{true}}", json!(true)),
        ("{{false}}", json!(false)),
        ("{{emptystring}}", json!("")),
        ("{{emptyarray}}", json!([])),
        ("{{space}}", json!(" ")),
        ("{{newline}}", json!("\n")),
        ("{{tab}}", json!("\t")),
        ("{{42}}", json!(42)),
        ("{{4.25}}", json!(4.25)),
        (
            "{{\"quoted \\\"text\\\" \\w\"}}",
            json!("quoted \"text\" \\w"),
        ),
        ("a{{space}}b", json!("a b")),
    ]);
}

#[test]
fn variables() {
    let now = run("{{now}}").unwrap();
    let now = now.as_str().unwrap();
    assert_eq!(now.len(), 24, "{now}");
    assert!(now.ends_with('Z') && now.contains('T'), "{now}");
    let timestamp = run("{{timestamp}}").unwrap().as_i64().unwrap();
    assert!(timestamp > 1_700_000_000);
    let uuid = run("{{uuid}}").unwrap();
    assert_eq!(uuid.as_str().unwrap().len(), 36);
    assert_ne!(run("{{uuid}}").unwrap(), uuid);
}

#[test]
fn secrets_by_name() {
    assert_eq!(run("{{secret.API_TOKEN}}").unwrap(), json!("tok-123"));
    assert_eq!(
        run("Bearer {{secret.API_TOKEN}}").unwrap(),
        json!("Bearer tok-123")
    );
    let missing = run("{{secret.NOPE}}").unwrap_err().to_string();
    assert!(missing.contains("secret NOPE is not defined"), "{missing}");
    let deep = run("{{secret.API_TOKEN.x}}").unwrap_err().to_string();
    assert!(deep.contains("secret.NAME"), "{deep}");
}

#[test]
fn operators() {
    check_rows(&[
        ("{{1 + 2}}", json!(3)),
        ("{{1.n + 1}}", json!(6)),
        ("{{1.f + 1}}", json!(3.5)),
        ("{{\"a\" + 1}}", json!("a1")),
        ("{{1.name + \" \" + 1.n}}", json!("Ada 5")),
        ("{{1.nothing + 2}}", json!(2)),
        ("{{emptyarray + 1.nums}}", json!([3, 1, 2, 3])),
        ("{{7 - 10}}", json!(-3)),
        ("{{1.numtext - 2}}", json!(10)),
        ("{{6 * 7}}", json!(42)),
        ("{{7 / 2}}", json!(3.5)),
        ("{{8 / 2}}", json!(4)),
        ("{{7 % 3}}", json!(1)),
        ("{{-1.n}}", json!(-5)),
        ("{{2 + 3 * 4}}", json!(14)),
        ("{{(2 + 3) * 4}}", json!(20)),
        ("{{10 - 3 - 2}}", json!(5)),
        ("{{1.n = 5}}", json!(true)),
        ("{{1.numtext = 12}}", json!(true)),
        ("{{1.name = Ada}}", json!(true)),
        ("{{1.name = \"ada\"}}", json!(false)),
        ("{{1.n != 5}}", json!(false)),
        ("{{1.n < 10}}", json!(true)),
        ("{{1.n > 10}}", json!(false)),
        ("{{1.n <= 5}}", json!(true)),
        ("{{1.n >= 6}}", json!(false)),
        ("{{\"b\" > \"a\"}}", json!(true)),
        ("{{1.numtext > 9}}", json!(true)),
        ("{{true & 1.n > 3}}", json!(true)),
        ("{{1.flag & 1.missing.x}}", json!(false)),
        ("{{1.flag | 1.n = 5}}", json!(true)),
        ("{{1.empty | 0}}", json!(false)),
        ("{{1 + 1 = 2 & 2 * 2 = 4}}", json!(true)),
        ("{{1.nothing = emptystring}}", json!(true)),
    ]);
}
