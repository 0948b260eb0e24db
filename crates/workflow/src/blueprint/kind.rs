//! [`ModuleKind`]: the modules this engine can run, by their Make names.

/// A module type the engine knows. Anything else is refused by validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    /// `scenario-service:StartSubscenario`: outputs the run's input data.
    Start,
    /// `scenario-service:ReturnData`: sets the run's outputs and ends it.
    Return,
    /// `gateway:CustomWebHook`: first module of a scenario an incoming
    /// webhook starts; outputs the request (its fields, `__headers`,
    /// `__query`, `__method`).
    Webhook,
    /// `gateway:WebhookRespond`: answers the webhook's caller with mapper
    /// `{status, body, headers}`.
    WebhookRespond,
    /// `util:SetVariable2`
    SetVariable,
    /// `util:SetVariables`
    SetVariables,
    /// `json:ParseJSON`
    ParseJson,
    /// `json:CreateJSON`
    CreateJson,
    /// `builtin:BasicRouter`
    Router,
    /// `builtin:BasicFeeder` (iterator)
    Iterator,
    /// `builtin:BasicAggregator`
    Aggregator,
    /// `http:ActionSendData`, `http:MakeRequest`
    Http,
    /// `util:FunctionSleep`
    Sleep,
    /// `code:ExecutePython`
    Python,
    /// `code:ExecuteJavaScript`
    JavaScript,
    /// Error-handler directives.
    Ignore,
    Resume,
    Break,
    Rollback,
}

impl ModuleKind {
    pub fn parse(module: &str) -> Option<Self> {
        Some(match module {
            "scenario-service:StartSubscenario" => Self::Start,
            "scenario-service:ReturnData" => Self::Return,
            "gateway:CustomWebHook" => Self::Webhook,
            "gateway:WebhookRespond" => Self::WebhookRespond,
            "util:SetVariable2" => Self::SetVariable,
            "util:SetVariables" => Self::SetVariables,
            "json:ParseJSON" => Self::ParseJson,
            "json:CreateJSON" => Self::CreateJson,
            "builtin:BasicRouter" => Self::Router,
            "builtin:BasicFeeder" => Self::Iterator,
            "builtin:BasicAggregator" => Self::Aggregator,
            "http:ActionSendData" | "http:MakeRequest" => Self::Http,
            "util:FunctionSleep" => Self::Sleep,
            "code:ExecutePython" => Self::Python,
            "code:ExecuteJavaScript" => Self::JavaScript,
            "builtin:Ignore" => Self::Ignore,
            "builtin:Resume" => Self::Resume,
            "builtin:Break" => Self::Break,
            "builtin:Rollback" => Self::Rollback,
            _ => return None,
        })
    }

    /// Error-handler directives, allowed only in an `onerror` route.
    pub fn is_directive(self) -> bool {
        matches!(
            self,
            Self::Ignore | Self::Resume | Self::Break | Self::Rollback
        )
    }

    /// A first module whose output bundle is the run's input.
    pub fn is_trigger(self) -> bool {
        matches!(self, Self::Start | Self::Webhook)
    }

    /// Whether a run of this module counts as an operation: scenario-service
    /// modules, routers and directives are free (as in Make).
    pub fn costs_operation(self) -> bool {
        !matches!(self, Self::Start | Self::Return | Self::Router) && !self.is_directive()
    }
}
