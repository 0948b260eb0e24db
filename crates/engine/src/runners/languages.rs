//! Languages besides Python (contract section 14): JavaScript on Node.js,
//! through the embedded runner (`node_runner.js`: the code as the body of
//! an async function, the result on fd 3), and interpreters the operator
//! configured, which run the code from a file (stdout, stderr, exit code;
//! no result). Both run one-shot in the same sandbox as Python: Node
//! cannot fork a warm copy of itself, and its start (about 40 ms bare) is
//! paid per run.

use std::collections::BTreeMap;

use runbox_domain::{Destination, FILE_PLACEHOLDER};
use runbox_sandbox::{RunControl, RunSpec, SandboxFile};
use serde_json::Value;

use super::python::{measured, read_report, SnippetError, SnippetMode, SnippetOutcome};
use super::shell::open_network;
use super::{template_env, RunContext};

const NODE_RUNNER: &str = include_str!("node_runner.js");

/// Where each language's interpreter is, inside the sandbox.
#[derive(Clone, Debug, Default)]
pub struct Interpreters {
    /// `python3`.
    pub python: String,
    /// Node.js, for `javascript`.
    pub node: String,
    /// The operator's runtimes by name.
    pub custom: BTreeMap<String, Interpreter>,
    /// Each language's version, asked of its interpreter once.
    pub versions: tokio::sync::OnceCell<Vec<RuntimeVersion>>,
}

/// A language this node runs, and what its interpreter says its version is
/// (`None` when it could not be run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeVersion {
    pub name: String,
    pub version: Option<String>,
}

/// An interpreter the operator configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interpreter {
    /// The command line; the argument holding `{file}` gets the code's path.
    pub command: Vec<String>,
    /// The code file's extension.
    pub extension: String,
}

/// One piece of code in a language other than Python.
pub struct ForeignSnippet<'a> {
    pub code: &'a str,
    pub mode: SnippetMode<'a>,
    /// Variables of this run, added to [`template_env`].
    pub env: Vec<(String, String)>,
    pub timeout: std::time::Duration,
    pub on_output: Option<runbox_sandbox::OutputSink>,
    pub network: &'a [Destination],
}

impl Interpreters {
    /// Whether `name` is a language this node runs (Python aside).
    pub fn knows(&self, name: &str) -> bool {
        name == runbox_domain::JAVASCRIPT || self.custom.contains_key(name)
    }

    /// Every language with its interpreter's version (`--version`, run in
    /// the sandbox once, then remembered).
    pub async fn versions(&self, sandbox: &runbox_sandbox::Sandbox) -> Vec<RuntimeVersion> {
        self.versions
            .get_or_init(|| async {
                let mut programs = vec![
                    ("python".to_owned(), self.python.clone()),
                    (runbox_domain::JAVASCRIPT.to_owned(), self.node.clone()),
                ];
                programs.extend(self.custom.iter().map(|(name, interpreter)| {
                    let program = interpreter.command.first().cloned().unwrap_or_default();
                    (name.clone(), program)
                }));
                let mut versions = Vec::new();
                for (name, program) in programs {
                    let version = version_of(sandbox, &program).await;
                    versions.push(RuntimeVersion { name, version });
                }
                versions
            })
            .await
            .clone()
    }

    /// The languages besides Python: `javascript`, then the configured ones.
    pub fn names(&self) -> Vec<String> {
        std::iter::once(runbox_domain::JAVASCRIPT.to_owned())
            .chain(self.custom.keys().cloned())
            .collect()
    }

    /// Runs `snippet` in `language` (`javascript` or a configured name).
    pub async fn run(
        &self,
        language: &str,
        snippet: ForeignSnippet<'_>,
        ctx: &RunContext,
    ) -> Result<SnippetOutcome, SnippetError> {
        if language == runbox_domain::JAVASCRIPT {
            return self.run_node(snippet, ctx).await;
        }
        match self.custom.get(language) {
            Some(interpreter) => run_custom(interpreter, snippet, ctx).await,
            None => Err(SnippetError::Refused(format!(
                "this server has no runtime {language:?}"
            ))),
        }
    }

    async fn run_node(
        &self,
        snippet: ForeignSnippet<'_>,
        ctx: &RunContext,
    ) -> Result<SnippetOutcome, SnippetError> {
        let (mode, input) = mode_and_input(snippet.mode);
        let mut files = vec![
            file("runner.js", NODE_RUNNER.as_bytes()),
            file("code.js", snippet.code.as_bytes()),
        ];
        if let Some(input) = input {
            files.push(file("input.json", input.to_string().as_bytes()));
        }
        // V8 sizes its heap from the host's memory, not the run's limit:
        // left alone it would be killed by the memory cgroup instead of
        // failing with "heap out of memory".
        let heap_mb = (ctx.limits.memory_mb.saturating_mul(3) / 4).max(16);
        let argv = vec![
            self.node.clone(),
            format!("--max-old-space-size={heap_mb}"),
            "/runbox/runner.js".to_owned(),
            mode.to_owned(),
        ];
        run_spec(argv, files, None, true, snippet, ctx).await
    }
}

async fn run_custom(
    interpreter: &Interpreter,
    snippet: ForeignSnippet<'_>,
    ctx: &RunContext,
) -> Result<SnippetOutcome, SnippetError> {
    let (_, input) = mode_and_input(snippet.mode);
    let name = format!("code.{}", interpreter.extension);
    let path = format!("{}/{name}", runbox_sandbox::FILES_DIR);
    let argv = interpreter
        .command
        .iter()
        .map(|arg| arg.replace(FILE_PLACEHOLDER, &path))
        .collect();
    let mut files = vec![file(&name, snippet.code.as_bytes())];
    let stdin = input.map(|input| {
        files.push(file("input.json", input.to_string().as_bytes()));
        "input.json".to_owned()
    });
    run_spec(argv, files, stdin, false, snippet, ctx).await
}

fn mode_and_input(mode: SnippetMode<'_>) -> (&'static str, Option<&Value>) {
    match mode {
        SnippetMode::Script => ("script", None),
        SnippetMode::WithInput(input) => ("input", Some(input)),
        SnippetMode::Agent(input) => ("agent", Some(input)),
    }
}

fn file(name: &str, contents: &[u8]) -> SandboxFile {
    SandboxFile {
        name: name.to_owned(),
        contents: contents.to_vec(),
    }
}

async fn run_spec(
    argv: Vec<String>,
    files: Vec<SandboxFile>,
    stdin_file: Option<String>,
    result_channel: bool,
    snippet: ForeignSnippet<'_>,
    ctx: &RunContext,
) -> Result<SnippetOutcome, SnippetError> {
    let mut env = template_env();
    env.extend(snippet.env);
    let network = open_network(snippet.network, ctx, &mut env)?;
    let spec = RunSpec {
        argv,
        env,
        files,
        stdin_file,
        limits: ctx.limits.clone(),
        combined_output: false,
        result_channel,
        payload: None,
        proxy: network.is_some(),
        ..Default::default()
    };
    let (proxy, counters) = network.unzip();
    let control = RunControl {
        timeout: snippet.timeout,
        cancel: ctx.cancel.clone(),
        on_output: snippet.on_output,
        proxy,
    };
    let run = ctx
        .sandbox
        .run(spec, control)
        .await
        .map_err(SnippetError::Sandbox)?;
    let (report, result_truncated) = read_report(&run);
    let (result, error) = match report {
        Some(report) => (Some(report.result), report.error),
        // A configured interpreter reports no result: `null`, as for code
        // without `return`.
        None if !result_channel => (Some(Value::Null), None),
        None => (None, None),
    };
    let resources = measured(&run, counters.as_ref());
    Ok(SnippetOutcome {
        run,
        result,
        error,
        result_truncated,
        resources,
        environment: None,
    })
}

/// The first line `program --version` prints (on stdout or stderr: some
/// interpreters use either), run in the sandbox.
async fn version_of(sandbox: &runbox_sandbox::Sandbox, program: &str) -> Option<String> {
    let spec = RunSpec {
        argv: vec![program.to_owned(), "--version".to_owned()],
        env: template_env(),
        combined_output: true,
        ..Default::default()
    };
    let control = RunControl {
        timeout: std::time::Duration::from_secs(10),
        cancel: tokio_util::sync::CancellationToken::new(),
        on_output: None,
        proxy: None,
    };
    let run = sandbox.run(spec, control).await.ok()?;
    if run.status.code() != 0 {
        return None;
    }
    let text = run.stdout.text();
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.chars().take(200).collect())
}
