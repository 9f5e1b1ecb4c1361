//! `[desk]` in `shopflow.toml`: the agents with their skills and caps, the VIP buyers, SLA
//! minutes per urgency and the escalation queue; read as written, then checked into
//! [`Settings`].

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;
use shopflow_classify::{Department, Urgency};

/// `[desk]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskSettings {
    /// `[[desk.agent]]`: the people tickets go to.
    #[serde(default)]
    pub agent: Vec<AgentSettings>,
    /// `[[desk.vip]]`: buyers whose tickets go first.
    #[serde(default)]
    pub vip: Vec<VipSettings>,
    /// `sla_minutes = { high = 15, normal = 60, low = 240 }`: time to resolve, per urgency.
    #[serde(default)]
    pub sla_minutes: SlaMinutes,
    /// The queue escalated tickets wait in for a supervisor (default `escalations`).
    #[serde(default)]
    pub escalation_queue: Option<String>,
}

/// One `[[desk.agent]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    /// The agent's name, unique; tickets and the REST API name agents by it.
    pub name: String,
    /// Departments (`logistics`, `returns`, …) and languages (`zh`, `en`) the agent handles.
    #[serde(default)]
    pub skills: Vec<String>,
    /// The most tickets the agent holds at once (default 5; 0 pauses the agent).
    #[serde(default = "default_cap")]
    pub cap: u32,
    /// `agent` (default) or `supervisor`: supervisors take escalated tickets only.
    #[serde(default)]
    pub role: Role,
}

fn default_cap() -> u32 {
    5
}

/// What an agent is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Takes new tickets of their departments and languages.
    #[default]
    Agent,
    /// Takes escalated tickets in their languages (any language when they list none).
    Supervisor,
}

/// One `[[desk.vip]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VipSettings {
    /// The shop's name in `shopflow.toml`.
    pub shop: String,
    /// The platform's buyer id.
    pub buyer: String,
    /// The tier (`gold`, `platinum`…; default `vip`).
    #[serde(default)]
    pub tier: Option<String>,
}

/// Minutes to resolve a ticket, per urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlaMinutes {
    /// `high` (default 15).
    pub high: u32,
    /// `normal` (default 60).
    pub normal: u32,
    /// `low` (default 240).
    pub low: u32,
}

impl Default for SlaMinutes {
    fn default() -> Self {
        Self {
            high: 15,
            normal: 60,
            low: 240,
        }
    }
}

impl SlaMinutes {
    /// The minutes for `urgency`.
    pub fn of(&self, urgency: Urgency) -> u32 {
        match urgency {
            Urgency::High => self.high,
            Urgency::Normal => self.normal,
            Urgency::Low => self.low,
        }
    }
}

/// An agent as the router sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// The name.
    pub name: String,
    /// Departments and languages.
    pub skills: BTreeSet<String>,
    /// The most tickets held at once.
    pub cap: u32,
    /// Agent or supervisor.
    pub role: Role,
}

/// `[desk]`, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Agents and supervisors in the order written (the order breaks no ties: round-robin does).
    pub agents: Vec<Agent>,
    /// `(shop, buyer)` → tier.
    pub vips: HashMap<(String, String), String>,
    /// SLA per urgency.
    pub sla: SlaMinutes,
    /// Where escalated tickets go.
    pub escalation_queue: String,
}

/// The escalation queue when `[desk]` names none.
pub const DEFAULT_ESCALATION_QUEUE: &str = "escalations";

impl Settings {
    /// Checks `raw`: unique non-empty names, skills that are departments or language tags,
    /// SLA minutes above zero, an escalation queue that is not a department's queue. The
    /// error names the entry and the key.
    pub fn check(raw: DeskSettings) -> Result<Settings, String> {
        let mut agents = Vec::with_capacity(raw.agent.len());
        let mut names = BTreeSet::new();
        for (i, a) in raw.agent.into_iter().enumerate() {
            let at = format!("agent[{i}]");
            let name = a.name.trim();
            if name.is_empty() {
                return Err(format!("{at}: `name` is empty"));
            }
            if !names.insert(name.to_owned()) {
                return Err(format!("{at}: the name `{name}` is used twice"));
            }
            let mut skills = BTreeSet::new();
            for skill in &a.skills {
                let skill = skill.trim();
                if Department::parse(skill).is_none() && !is_language(skill) {
                    return Err(format!(
                        "{at} (`{name}`): unknown skill `{skill}`; skills are departments ({}) \
                         and language tags (`zh`, `en`)",
                        department_names()
                    ));
                }
                skills.insert(skill.to_owned());
            }
            agents.push(Agent {
                name: name.to_owned(),
                skills,
                cap: a.cap,
                role: a.role,
            });
        }
        let mut vips = HashMap::new();
        for (i, v) in raw.vip.into_iter().enumerate() {
            if v.shop.trim().is_empty() || v.buyer.trim().is_empty() {
                return Err(format!("vip[{i}]: `shop` and `buyer` must not be empty"));
            }
            let tier = v.tier.unwrap_or_else(|| "vip".to_owned());
            vips.insert((v.shop, v.buyer), tier);
        }
        let sla = raw.sla_minutes;
        for (urgency, minutes) in [("high", sla.high), ("normal", sla.normal), ("low", sla.low)] {
            if minutes == 0 {
                return Err(format!("sla_minutes.{urgency}: must be at least 1"));
            }
        }
        let escalation_queue = raw
            .escalation_queue
            .map(|q| q.trim().to_owned())
            .unwrap_or_else(|| DEFAULT_ESCALATION_QUEUE.to_owned());
        if escalation_queue.is_empty() {
            return Err("escalation_queue: must not be empty".to_owned());
        }
        if Department::parse(&escalation_queue).is_some() {
            return Err(format!(
                "escalation_queue: `{escalation_queue}` is a department's queue; choose another name"
            ));
        }
        Ok(Settings {
            agents,
            vips,
            sla,
            escalation_queue,
        })
    }

    /// The VIP tier of `buyer` in `shop`, if listed.
    pub fn vip_tier(&self, shop: &str, buyer: &str) -> Option<&str> {
        self.vips
            .get(&(shop.to_owned(), buyer.to_owned()))
            .map(String::as_str)
    }
}

/// A language tag as skills and tickets write it: `zh`, `en`, `zh-Hant`.
pub fn is_language(s: &str) -> bool {
    let mut parts = s.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The department names, comma separated, for messages.
pub fn department_names() -> String {
    Department::ALL
        .iter()
        .map(|d| d.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(name: &str, skills: &[&str]) -> AgentSettings {
        AgentSettings {
            name: name.into(),
            skills: skills.iter().map(|s| (*s).to_owned()).collect(),
            cap: 5,
            role: Role::Agent,
        }
    }

    #[test]
    fn checks_names_skills_and_queue() {
        let ok = Settings::check(DeskSettings {
            agent: vec![agent("li", &["logistics", "zh"])],
            ..DeskSettings::default()
        })
        .expect("valid");
        assert_eq!(ok.escalation_queue, "escalations");
        assert_eq!(ok.sla.of(Urgency::High), 15);

        let twice = Settings::check(DeskSettings {
            agent: vec![agent("li", &[]), agent("li", &[])],
            ..DeskSettings::default()
        });
        assert!(twice.unwrap_err().contains("used twice"));

        let typo = Settings::check(DeskSettings {
            agent: vec![agent("li", &["logistic"])],
            ..DeskSettings::default()
        });
        assert!(typo.unwrap_err().contains("unknown skill `logistic`"));

        let queue = Settings::check(DeskSettings {
            escalation_queue: Some("returns".into()),
            ..DeskSettings::default()
        });
        assert!(queue.unwrap_err().contains("department's queue"));
    }

    #[test]
    fn language_tags() {
        assert!(is_language("zh"));
        assert!(is_language("zh-Hant"));
        assert!(!is_language("returns"));
        assert!(!is_language("Zh"));
        assert!(!is_language(""));
    }
}
