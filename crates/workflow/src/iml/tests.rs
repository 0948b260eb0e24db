//! Table-driven tests of IML: one row per function, operator and keyword,
//! references, templates, and errors.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{check, evaluate, Scope, Template};

fn outputs() -> BTreeMap<i64, Value> {
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

fn vars() -> Value {
    json!({"input": {"city": "Paris", "count": 3}, "scenario": {"id": 7, "name": "demo"}, "execution": {"id": "abc123"}})
}

fn run(template: &str) -> Result<Value, super::ImlError> {
    let outputs = outputs();
    let vars = vars();
    Template::parse(template)?.eval(Scope {
        outputs: &outputs,
        vars: &vars,
    })
}

fn check_rows(rows: &[(&str, Value)]) {
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

#[test]
fn text_functions() {
    check_rows(&[
        ("{{length(1.name)}}", json!(3)),
        ("{{length(1.items)}}", json!(3)),
        ("{{length(2.obj)}}", json!(2)),
        ("{{length(null)}}", json!(0)),
        ("{{lower(1.name)}}", json!("ada")),
        ("{{upper(1.name)}}", json!("ADA")),
        ("{{trim(1.text)}}", json!("Hello World")),
        ("{{capitalize(\"élan\")}}", json!("Élan")),
        ("{{replace(1.name; a; o)}}", json!("Ado")),
        ("{{replace(\"a-b-c\"; -; _)}}", json!("a_b_c")),
        (
            "{{replace(\"Hello World\"; Hello; Bye)}}",
            json!("Bye World"),
        ),
        ("{{replace(\"a1b22\"; /[0-9]+/g; #)}}", json!("a#b#")),
        ("{{replace(\"a1b22\"; /[0-9]+/; #)}}", json!("a#b22")),
        (
            "{{replace(\"John Smith\"; \"/(\\w+) (\\w+)/\"; \"$2, $1\")}}",
            json!("Smith, John"),
        ),
        ("{{replace(\"ABC\"; /b/i; x)}}", json!("AxC")),
        ("{{substring(\"Hello\"; 0; 3)}}", json!("Hel")),
        ("{{substring(\"Hello\"; 1)}}", json!("ello")),
        ("{{substring(\"Hello\"; 4; 1)}}", json!("ell")),
        ("{{substring(\"Hello\"; -2; 99)}}", json!("Hello")),
        ("{{split(1.csv; ,)}}", json!(["a", "b", "c"])),
        ("{{split(\"abc\"; emptystring)}}", json!(["a", "b", "c"])),
        ("{{join(1.words; -)}}", json!("b-A-c")),
        ("{{join(1.words)}}", json!("b, A, c")),
        ("{{join(split(1.csv; ,); space)}}", json!("a b c")),
        ("{{contains(1.name; d)}}", json!(true)),
        ("{{contains(1.nums; 2)}}", json!(true)),
        ("{{contains(1.words; z)}}", json!(false)),
        ("{{toString(1.n)}}", json!("5")),
        ("{{toString(1.nums)}}", json!("3, 1, 2, 3")),
        ("{{indexOf(\"hello\"; l)}}", json!(2)),
        ("{{indexOf(\"hello\"; z)}}", json!(-1)),
        ("{{indexOf(\"hello\"; l; 3)}}", json!(3)),
    ]);
}

#[test]
fn logic_and_array_functions() {
    check_rows(&[
        ("{{if(1.n > 3; big; small)}}", json!("big")),
        ("{{if(1.n > 9; \"big\"; \"small\")}}", json!("small")),
        ("{{if(1.flag; 1)}}", json!(null)),
        ("{{if(true; 1.nums; 0)}}", json!([3, 1, 2, 3])),
        ("{{if(true; ok; 1 / 0)}}", json!("ok")),
        ("{{ifempty(1.empty; fallback)}}", json!("fallback")),
        ("{{ifempty(1.name; fallback)}}", json!("Ada")),
        ("{{ifempty(1.nothing; emptyarray)}}", json!([])),
        ("{{not(1.flag)}}", json!(true)),
        ("{{get(1.nums; 1)}}", json!(3)),
        ("{{get(1.items; 2)[\"name\"]}}", json!("b")),
        ("{{get(1.items; 2).name}}", json!("b")),
        ("{{first(1.items).`name`}}", json!("a")),
        ("{{(1.nested).sub.deep}}", json!(true)),
        ("{{get(1.items; \"2.name\")}}", json!("b")),
        ("{{get(1; \"nested.sub.deep\")}}", json!(null)),
        ("{{get(1.nested; \"sub.deep\")}}", json!(true)),
        ("{{first(1.words)}}", json!("b")),
        ("{{last(1.words)}}", json!("c")),
        ("{{first(emptyarray)}}", json!(null)),
        ("{{map(1.items; name)}}", json!(["a", "b", "c"])),
        ("{{map(1.items; name; k; x)}}", json!(["a", "c"])),
        ("{{map(1.items; v; k; \"x,y\")}}", json!([3, 1, 2])),
        ("{{keys(2.obj)}}", json!(["a", "b"])),
        ("{{sort(1.nums)}}", json!([1, 2, 3, 3])),
        ("{{sort(1.nums; desc)}}", json!([3, 3, 2, 1])),
        ("{{sort(1.words)}}", json!(["A", "b", "c"])),
        ("{{sort(1.words; \"desc ci\")}}", json!(["c", "b", "A"])),
        (
            "{{map(sort(1.items; asc; v); name)}}",
            json!(["b", "c", "a"]),
        ),
        ("{{slice(1.nums; 1)}}", json!([1, 2, 3])),
        ("{{slice(1.nums; 1; 3)}}", json!([1, 2])),
        ("{{slice(1.nums; -2)}}", json!([2, 3])),
        ("{{slice(1.nums; 3; 1)}}", json!([])),
        ("{{distinct(1.nums)}}", json!([3, 1, 2])),
        ("{{map(distinct(1.items; k); name)}}", json!(["a", "b"])),
        ("{{reverse(1.words)}}", json!(["c", "A", "b"])),
        (
            "{{merge(1.words; 1.nums)}}",
            json!(["b", "A", "c", 3, 1, 2, 3]),
        ),
        ("{{flatten(2.items)}}", json!([1, 2, 3])),
        ("{{add(1.words; d; 5)}}", json!(["b", "A", "c", "d", 5])),
        ("{{remove(1.nums; 3)}}", json!([1, 2])),
        ("{{length(split(1.csv; ,))}}", json!(3)),
    ]);
}

#[test]
fn math_functions() {
    check_rows(&[
        ("{{parseNumber(\"1 756,456\"; \",\")}}", json!(1756.456)),
        ("{{parseNumber(\"1,234.5\"; .)}}", json!(1234.5)),
        ("{{parseNumber(\"42\")}}", json!(42)),
        ("{{parseNumber(1.numtext) + 1}}", json!(13)),
        ("{{formatNumber(1234.5; 2)}}", json!("1.234,50")),
        (
            "{{formatNumber(1234567.891; 2; .; \",\")}}",
            json!("1,234,567.89"),
        ),
        ("{{formatNumber(-1234; 0)}}", json!("-1.234")),
        ("{{formatNumber(5)}}", json!("5")),
        ("{{round(2.5)}}", json!(3)),
        ("{{round(-2.5)}}", json!(-3)),
        ("{{round(2.71828; 2)}}", json!(2.72)),
        ("{{floor(2.7)}}", json!(2)),
        ("{{ceil(2.1)}}", json!(3)),
        ("{{abs(-4)}}", json!(4)),
        ("{{max(1.nums)}}", json!(3)),
        ("{{min(4; 2; 8)}}", json!(2)),
        ("{{sum(1.nums)}}", json!(9)),
        ("{{average(2; 4)}}", json!(3)),
        ("{{sum(emptyarray)}}", json!(0)),
    ]);
}

#[test]
fn date_functions() {
    check_rows(&[
        ("{{formatDate(1.date; YYYY-MM-DD)}}", json!("2024-01-15")),
        (
            "{{formatDate(1.date; \"YYYY-MM-DD HH:mm:ss\")}}",
            json!("2024-01-15 10:30:00"),
        ),
        ("{{formatDate(1.date; DD.MM.YYYY)}}", json!("15.01.2024")),
        (
            "{{formatDate(1.date; \"dddd, MMMM Do YYYY, h:mm A\")}}",
            json!("Monday, January 15th 2024, 10:30 AM"),
        ),
        (
            "{{formatDate(1.date; \"[Q]Q YY ddd MMM D\")}}",
            json!("Q1 24 Mon Jan 15"),
        ),
        (
            "{{formatDate(1.date; HH:mm Z; +02:00)}}",
            json!("12:30 +02:00"),
        ),
        ("{{formatDate(1.date; X)}}", json!("1705314600")),
        (
            "{{formatDate(1705314600000; YYYY-MM-DD)}}",
            json!("2024-01-15"),
        ),
        ("{{formatDate(\"2024-03-01\"; DDDD E W)}}", json!("061 5 9")),
        (
            "{{parseDate(\"15/01/2024 10:30\"; \"DD/MM/YYYY HH:mm\")}}",
            json!("2024-01-15T10:30:00.000Z"),
        ),
        (
            "{{parseDate(\"2024-01-15 12:30\"; \"YYYY-MM-DD HH:mm\"; +02:00)}}",
            json!("2024-01-15T10:30:00.000Z"),
        ),
        (
            "{{parseDate(\"January 5, 2024 3:04 pm\"; \"MMMM D, YYYY h:mm a\")}}",
            json!("2024-01-05T15:04:00.000Z"),
        ),
        (
            "{{parseDate(\"1705314600\"; X)}}",
            json!("2024-01-15T10:30:00.000Z"),
        ),
        (
            "{{parseDate(\"2024-01-15T10:30:00.250+01:00\"; \"YYYY-MM-DDTHH:mm:ss.SSSZ\")}}",
            json!("2024-01-15T09:30:00.250Z"),
        ),
        ("{{addDays(1.date; 20)}}", json!("2024-02-04T10:30:00.000Z")),
        (
            "{{addDays(\"2024-03-01\"; -1)}}",
            json!("2024-02-29T00:00:00.000Z"),
        ),
        ("{{addHours(1.date; 2)}}", json!("2024-01-15T12:30:00.000Z")),
        (
            "{{addMinutes(1.date; -30)}}",
            json!("2024-01-15T10:00:00.000Z"),
        ),
        (
            "{{addSeconds(1.date; 5)}}",
            json!("2024-01-15T10:30:05.000Z"),
        ),
        (
            "{{addMonths(\"2024-01-31\"; 1)}}",
            json!("2024-02-29T00:00:00.000Z"),
        ),
        (
            "{{addYears(1.date; -1)}}",
            json!("2023-01-15T10:30:00.000Z"),
        ),
        (
            "{{formatDate(addDays(now; 1); YYYY) >= formatDate(now; YYYY)}}",
            json!(true),
        ),
    ]);
}

#[test]
fn hash_functions() {
    check_rows(&[
        (
            "{{md5(\"hello\")}}",
            json!("5d41402abc4b2a76b9719d911017c592"),
        ),
        (
            "{{sha256(\"hello\")}}",
            json!("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        ),
        (
            "{{sha256(\"hello\"; base64)}}",
            json!("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="),
        ),
        (
            "{{sha256(\"hello\"; hex; key)}}",
            json!("9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b"),
        ),
        ("{{base64(\"hello\")}}", json!("aGVsbG8=")),
    ]);
}

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
