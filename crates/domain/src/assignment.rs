//! How a workspace shares out its conversations: the auto-assignment rule, the inactivity
//! threshold, and each member's availability and capacity.

use crate::AppError;
use serde::{Deserialize, Serialize};

/// Who gets a conversation nobody has, without a supervisor choosing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AutoAssign {
    /// Nobody: conversations wait in the pool until claimed or assigned.
    #[default]
    Off,
    /// Each online agent in turn, the one given a conversation longest ago first.
    RoundRobin,
    /// The online agent with the fewest open conversations.
    LeastBusy,
}

impl AutoAssign {
    pub const ALL: [AutoAssign; 3] = [
        AutoAssign::Off,
        AutoAssign::RoundRobin,
        AutoAssign::LeastBusy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AutoAssign::Off => "off",
            AutoAssign::RoundRobin => "round_robin",
            AutoAssign::LeastBusy => "least_busy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AutoAssign::Off => "Off",
            AutoAssign::RoundRobin => "Round robin",
            AutoAssign::LeastBusy => "Least busy",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or_else(|| {
                AppError::invalid_field("auto_assign", "Choose off, round robin or least busy.")
            })
    }
}

/// Whether a member takes conversations now, as they set it themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[default]
    Online,
    Away,
    Offline,
}

impl Availability {
    pub const ALL: [Availability; 3] = [
        Availability::Online,
        Availability::Away,
        Availability::Offline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Online => "online",
            Availability::Away => "away",
            Availability::Offline => "offline",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Availability::Online => "Online",
            Availability::Away => "Away",
            Availability::Offline => "Offline",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == raw)
            .ok_or_else(|| {
                AppError::invalid_field("availability", "Choose online, away or offline.")
            })
    }
}

/// The most open conversations a capacity may allow.
pub const MAX_CAPACITY: u32 = 1000;
/// The longest inactivity threshold: a week.
pub const MAX_INACTIVITY_MINUTES: u32 = 7 * 24 * 60;

/// The workspace's assignment rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AssignmentRules {
    pub auto_assign: AutoAssign,
    /// Minutes an assigned agent may leave a waiting customer unanswered before the
    /// conversation goes back to the pool; `None`: never.
    pub inactivity_minutes: Option<u32>,
}

impl AssignmentRules {
    /// Reads the settings form: a mode and an optional number of minutes.
    pub fn parse(auto_assign: &str, inactivity_minutes: &str) -> Result<Self, AppError> {
        let inactivity_minutes = optional_number(
            inactivity_minutes,
            "inactivity_minutes",
            1,
            MAX_INACTIVITY_MINUTES,
        )?;
        Ok(AssignmentRules {
            auto_assign: AutoAssign::parse(auto_assign)?,
            inactivity_minutes,
        })
    }
}

/// Reads a member's capacity: empty for no limit, else 1 to [`MAX_CAPACITY`].
pub fn parse_capacity(raw: &str) -> Result<Option<u32>, AppError> {
    optional_number(raw, "capacity", 1, MAX_CAPACITY)
}

fn optional_number(raw: &str, field: &str, min: u32, max: u32) -> Result<Option<u32>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(AppError::invalid_field(
            field,
            format!("Enter a whole number from {min} to {max}, or leave it empty for none."),
        )),
    }
}

/// A member as the assignment settings show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLoad {
    pub user_id: String,
    pub name: String,
    pub availability: Availability,
    /// Whether a page of theirs is open now (their event stream is connected).
    pub connected: bool,
    pub capacity: Option<u32>,
    pub open_conversations: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_and_capacities_are_read_or_refused_by_field() {
        assert_eq!(
            AssignmentRules::parse("least_busy", " 30 ").ok(),
            Some(AssignmentRules {
                auto_assign: AutoAssign::LeastBusy,
                inactivity_minutes: Some(30)
            })
        );
        assert_eq!(
            AssignmentRules::parse("off", "").ok(),
            Some(AssignmentRules::default())
        );
        for (mode, minutes, field) in [
            ("sometimes", "", "auto_assign"),
            ("off", "0", "inactivity_minutes"),
            ("off", "-5", "inactivity_minutes"),
            ("off", "10081", "inactivity_minutes"),
            ("off", "1e3", "inactivity_minutes"),
            ("off", "99999999999999999999", "inactivity_minutes"),
        ] {
            let error = AssignmentRules::parse(mode, minutes).expect_err(minutes);
            assert_eq!(
                error.details,
                Some(serde_json::json!({ "field": field })),
                "{mode} {minutes}"
            );
        }
        assert_eq!(parse_capacity(""), Ok(None));
        assert_eq!(parse_capacity("3"), Ok(Some(3)));
        assert!(parse_capacity("0").is_err());
        assert!(parse_capacity("1001").is_err());
        assert!(parse_capacity("two").is_err());
        assert_eq!(Availability::parse("away"), Ok(Availability::Away));
        assert!(Availability::parse("busy").is_err());
    }
}
