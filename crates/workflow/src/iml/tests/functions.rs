//! One row (at least) per function of the library.

use serde_json::json;

use super::check_rows;

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
