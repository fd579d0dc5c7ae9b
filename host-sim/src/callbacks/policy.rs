//! The host's policy for changes that arrive without an operator (callbacks and the reconcile).

use serde::Serialize;

/// What happens to the account of a member who left, was deleted, or was disabled in WeCom.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OnLeave {
    /// Remove the binding and disable the platform account (the account can no longer sign in).
    #[default]
    Disable,
    /// Only remove the binding; the account stays enabled for other ways of signing in.
    Unbind,
}

/// What happens to a new member in the synced scope who has no account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum NewMembers {
    /// Create an account bound to the member, unless an unbound account has the same name (the
    /// operator decides that one in the binding table: names are not unique).
    #[default]
    Create,
    /// Leave new members to the operator's next sync.
    Ignore,
}

/// The policy as a whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Leavers.
    pub on_leave: OnLeave,
    /// Newcomers.
    pub new_members: NewMembers,
}

/// The policy options of `serve`, `reconcile` and `callback`.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct PolicyArgs {
    /// A member who left or was deleted: unbind and disable the account, or only unbind.
    #[arg(long, value_enum, default_value_t = OnLeave::Disable)]
    pub on_leave: OnLeave,
    /// A new member in the synced scope: create an account, or leave it to the operator.
    #[arg(long, value_enum, default_value_t = NewMembers::Create)]
    pub new_members: NewMembers,
}

impl From<PolicyArgs> for Policy {
    fn from(a: PolicyArgs) -> Self {
        Policy { on_leave: a.on_leave, new_members: a.new_members }
    }
}
