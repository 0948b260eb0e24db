//! The filter operators a blueprint may name (`{a, o, b}` conditions):
//! the one list that validation (an unknown operator refuses the
//! blueprint) and the executor (which evaluates them) both read. What each
//! does is in [`crate::executor`]'s filter module.

pub(crate) const OPERATORS: [&str; 26] = [
    "text:equal",
    "text:notequal",
    "text:contain",
    "text:notcontain",
    "text:startswith",
    "text:notstartswith",
    "text:endswith",
    "text:notendswith",
    "text:pattern",
    "text:notpattern",
    "number:equal",
    "number:notequal",
    "number:greater",
    "number:less",
    "number:greaterorequal",
    "number:lessorequal",
    "date:equal",
    "date:notequal",
    "date:greater",
    "date:less",
    "date:greaterorequal",
    "date:lessorequal",
    "exist",
    "notexist",
    "boolean:equal",
    "boolean:notequal",
];

/// Whether `operator` is one this engine evaluates.
pub fn known_operator(operator: &str) -> bool {
    let base = operator
        .strip_suffix(":ci")
        .filter(|b| b.starts_with("text:"))
        .unwrap_or(operator);
    OPERATORS.contains(&base) || matches!(base, "array:contain" | "array:notcontain")
}
