//! The `[[buttons]]` and `[[agents]]` sections: full examples, schedules,
//! and errors that name the key and line.

use super::*;

#[test]
fn buttons_and_agents_in_full() {
    let text = r#"
[[buttons]]
id = "deploy_1"
name = "Deploy"
command = "make deploy"
description = "Ships it"
icon = "🚀"
env = { TARGET = "prod", _X1 = "" }

[[buttons]]
id = "plain"
name = "Plain"
command = "true"

[[agents]]
id = "summarizer"
name = "summarize"
description = "Summarizes"
runtime = "python"
code = "def run(input):\n    return {}"
priority = 90
timeout = 3600
[agents.env]
MODEL = "small"
"#;
    let settings = load_str(text, Overrides::default()).unwrap();
    let [deploy, plain] = &settings.buttons[..] else {
        panic!("{:?}", settings.buttons)
    };
    assert_eq!(deploy.description.as_deref(), Some("Ships it"));
    assert_eq!(deploy.icon.as_deref(), Some("🚀"));
    assert_eq!(deploy.timeout.secs(), 300, "default button timeout");
    assert_eq!(deploy.env.get("TARGET").map(String::as_str), Some("prod"));
    assert_eq!(deploy.env.len(), 2);
    assert_eq!(plain.id, "plain");
    let [agent] = &settings.agents[..] else {
        panic!("{:?}", settings.agents)
    };
    assert_eq!(agent.id.as_deref(), Some("summarizer"));
    assert_eq!(
        agent.runtime,
        AgentRuntime::Python {
            code: "def run(input):\n    return {}".into()
        }
    );
    assert_eq!(agent.priority.value(), 90);
    assert_eq!(agent.timeout.secs(), 3600);
    assert_eq!(agent.env.get("MODEL").map(String::as_str), Some("small"));
}

#[test]
fn a_button_may_run_on_a_schedule() {
    let text = "[[buttons]]\nid = \"b\"\nname = \"B\"\ncommand = \"true\"\nschedule = { cron = \"0 9 * * mon-fri\", timezone = \"Europe/Paris\" }\n";
    let settings = load_str(text, Overrides::default()).unwrap();
    assert_eq!(
        settings.buttons[0].schedule,
        Some(runbox_domain::CronSchedule {
            cron: "0 9 * * mon-fri".into(),
            timezone: "Europe/Paris".into()
        })
    );
}

#[test]
fn button_errors_name_key_and_line() {
    let base = "[[buttons]]\nid = \"ok\"\nname = \"Ok\"\ncommand = \"true\"\n";
    let cases = [
        ("id = \"Bad Id\"", "buttons[1].id: must be 1 to 64 characters among a-z, 0-9, _ and -, got \"Bad Id\"", 7),
        ("id = \"ok\"", "buttons[1].id: duplicate button id \"ok\", first used on line 2", 7),
        ("name = \"  \"", "buttons[1].name: must not be empty", 8),
        ("command = \"\"", "buttons[1].command: must not be empty", 9),
        ("timeout = 301", "buttons[1].timeout: must be between 1 and 300, got 301", 10),
        ("timeout = 0", "buttons[1].timeout: must be between 1 and 300, got 0", 10),
        ("env = { \"1X\" = \"v\" }", "buttons[1].env.1X: invalid variable name \"1X\": use letters, digits and _, not starting with a digit", 10),
        ("schedule = { cron = \"61 * * * *\" }", "buttons[1].schedule.cron: invalid cron expression \"61 * * * *\": Component error: Number out of bounds.", 10),
        ("schedule = { cron = \"* * * * *\", timezone = \"Nowhere/Else\" }", "buttons[1].schedule.cron: unknown time zone \"Nowhere/Else\": expected an IANA name such as Europe/Paris or UTC", 10),
    ];
    for (change, expected, line) in cases {
        let field = change.split(' ').next().unwrap_or_default();
        let mut second: Vec<String> = vec![
            "id = \"two\"".into(),
            "name = \"Two\"".into(),
            "command = \"true\"".into(),
        ];
        match second
            .iter_mut()
            .find(|l| l.starts_with(&format!("{field} ")))
        {
            Some(existing) => *existing = change.into(),
            None => second.push(change.into()),
        }
        let text = format!("{base}\n[[buttons]]\n{}\n", second.join("\n"));
        assert_eq!(
            error_of(&text),
            format!("config file {PATH}: {expected} (line {line})"),
            "{text}"
        );
    }
}

#[test]
fn agent_errors_name_key_and_line() {
    let first =
        "[[agents]]\nid = \"a1\"\nname = \"one\"\nruntime = \"command\"\ncommand = \"cat\"\n\n";
    let cases = [
        ("[[agents]]\nname = \"two\"\nruntime = \"python\"\n", "agents[1].code: required with runtime = \"python\" (line 9)"),
        ("[[agents]]\nname = \"two\"\nruntime = \"command\"\n", "agents[1].command: required with runtime = \"command\" (line 9)"),
        (
            "[[agents]]\nname = \"two\"\nruntime = \"python\"\ncode = \"x\"\ncommand = \"cat\"\n",
            "agents[1].command: not used with runtime = \"python\"; remove it (line 11)",
        ),
        ("[[agents]]\nname = \"one\"\nruntime = \"command\"\ncommand = \"cat\"\n", "agents[1].name: duplicate agent name \"one\", first used on line 3 (line 8)"),
        ("[[agents]]\nid = \"a1\"\nname = \"two\"\nruntime = \"command\"\ncommand = \"cat\"\n", "agents[1].id: duplicate agent id \"a1\", first used on line 2 (line 8)"),
        ("[[agents]]\nid = \"a/1\"\nname = \"two\"\nruntime = \"command\"\ncommand = \"cat\"\n", "agents[1].id: must be 1 to 64 characters among A-Z, a-z, 0-9, _ and -, got \"a/1\" (line 8)"),
        ("[[agents]]\nname = \"two\"\nruntime = \"command\"\ncommand = \"cat\"\npriority = 101\n", "agents[1].priority: must be between 0 and 100, got 101 (line 11)"),
        ("[[agents]]\nname = \"two\"\nruntime = \"command\"\ncommand = \"cat\"\ntimeout = 3601\n", "agents[1].timeout: must be between 1 and 3600, got 3601 (line 11)"),
        ("[[agents]]\nname = \"two\"\nruntime = \"command\"\ncommand = \" \"\n", "agents[1].command: must not be empty (line 10)"),
        ("[[agents]]\nname = \"two\"\nruntime = \"command\"\ncommand = \"cat\"\nenv = { \"A-B\" = \"1\" }\n", "agents[1].env.A-B: invalid variable name \"A-B\": use letters, digits and _, not starting with a digit (line 11)"),
    ];
    for (second, expected) in cases {
        let text = format!("{first}{second}");
        assert_eq!(
            error_of(&text),
            format!("config file {PATH}: {expected}"),
            "{text}"
        );
    }
}
