//! Who takes a ticket, decided in memory: each agent's load (open tickets) against their cap,
//! the order of their last assignment (round-robin among equals), and the tickets waiting in
//! the department queues and the escalation queue, highest priority first. Rebuilt from the
//! database when the desk opens; the writer thread alone changes it, right after the SQL of
//! the same change.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::settings::{Agent, Role};

/// The department whose queue any agent speaking the language may take from.
pub const GENERAL: &str = "other";

/// Where a waiting ticket sits in its queue: higher priority first, then arrival order.
pub type Place = (Reverse<i64>, i64);

/// A ticket waiting for a seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The ticket.
    pub ticket_id: String,
    /// Its department (agents need it among their skills).
    pub department: String,
    /// Its language (agents and supervisors need it among their skills).
    pub language: String,
}

/// An agent or supervisor with their current load.
#[derive(Debug, Clone)]
pub struct Seat {
    /// Configuration.
    pub agent: Agent,
    /// Open tickets held.
    pub load: u32,
    /// The assignment counter at their latest ticket (0: none yet).
    pub last: i64,
}

impl Seat {
    /// Whether the seat can take one more ticket.
    pub fn has_room(&self) -> bool {
        self.load < self.agent.cap
    }

    /// Whether this agent may take a new ticket of `department` in `language`. The `other`
    /// department is the general queue: every agent who speaks the language may take it.
    pub fn handles(&self, department: &str, language: &str) -> bool {
        self.agent.role == Role::Agent
            && (department == GENERAL || self.agent.skills.contains(department))
            && self.agent.skills.contains(language)
    }

    /// Whether this supervisor may take an escalated ticket in `language`.
    pub fn supervises(&self, language: &str) -> bool {
        self.agent.role == Role::Supervisor
            && (self.agent.skills.contains(language)
                || !self
                    .agent
                    .skills
                    .iter()
                    .any(|s| crate::settings::is_language(s)))
    }

    fn qualifies(&self, w: &Waiting, escalated: bool) -> bool {
        if escalated {
            self.supervises(&w.language)
        } else {
            self.handles(&w.department, &w.language)
        }
    }
}

/// The desk's routing state.
#[derive(Debug, Default)]
pub struct Routing {
    seats: Vec<Seat>,
    by_name: HashMap<String, usize>,
    queue: BTreeMap<Place, Waiting>,
    escalations: BTreeMap<Place, Waiting>,
    counter: i64,
    warned: HashSet<(String, String)>,
}

impl Routing {
    /// Seats for `agents`, all empty.
    pub fn new(agents: &[Agent]) -> Self {
        let seats: Vec<Seat> = agents
            .iter()
            .map(|a| Seat {
                agent: a.clone(),
                load: 0,
                last: 0,
            })
            .collect();
        let by_name = seats
            .iter()
            .enumerate()
            .map(|(i, s)| (s.agent.name.clone(), i))
            .collect();
        Self {
            seats,
            by_name,
            ..Self::default()
        }
    }

    /// The seat of `name`, if configured.
    pub fn seat_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The seat at `index`.
    pub fn seat(&self, index: usize) -> &Seat {
        &self.seats[index]
    }

    /// Every seat, in configuration order.
    pub fn seats(&self) -> &[Seat] {
        &self.seats
    }

    /// Records what the database says about `name`: open tickets and latest assignment.
    pub fn restore(&mut self, name: &str, load: u32, last: i64) {
        if let Some(&i) = self.by_name.get(name) {
            self.seats[i].load = load;
            self.seats[i].last = last;
        }
        self.counter = self.counter.max(last);
    }

    /// The agent for a new ticket: skilled in both, below their cap, fewest open tickets,
    /// then least recently assigned (round-robin).
    pub fn pick_agent(&self, department: &str, language: &str) -> Option<usize> {
        self.pick(|s| s.handles(department, language))
    }

    /// The supervisor for an escalated ticket in `language`, by the same rules.
    pub fn pick_supervisor(&self, language: &str) -> Option<usize> {
        self.pick(|s| s.supervises(language))
    }

    fn pick(&self, qualified: impl Fn(&Seat) -> bool) -> Option<usize> {
        self.seats
            .iter()
            .enumerate()
            .filter(|(_, s)| s.has_room() && qualified(s))
            .min_by_key(|(_, s)| (s.load, s.last))
            .map(|(i, _)| i)
    }

    /// Whether anyone at all (ignoring caps) could take a ticket of `department` in
    /// `language`; the first time nobody could, returns `false` once per pair so the caller
    /// warns once.
    pub fn first_unstaffed(&mut self, department: &str, language: &str) -> bool {
        let staffed = self.seats.iter().any(|s| s.handles(department, language));
        !staffed
            && self
                .warned
                .insert((department.to_owned(), language.to_owned()))
    }

    /// Gives seat `index` one more ticket; returns the assignment counter to store.
    pub fn take(&mut self, index: usize) -> i64 {
        self.counter += 1;
        let seat = &mut self.seats[index];
        seat.load += 1;
        seat.last = self.counter;
        self.counter
    }

    /// Takes one ticket off `name`'s load; returns their seat when configured.
    pub fn release(&mut self, name: &str) -> Option<usize> {
        let i = *self.by_name.get(name)?;
        let seat = &mut self.seats[i];
        seat.load = seat.load.saturating_sub(1);
        Some(i)
    }

    /// Puts a ticket in its department queue, or in the escalation queue.
    pub fn enqueue(&mut self, place: Place, waiting: Waiting, escalated: bool) {
        self.queue_mut(escalated).insert(place, waiting);
    }

    /// Takes a ticket out of the queue it waits in, if it does.
    pub fn dequeue(&mut self, place: Place, escalated: bool) -> Option<Waiting> {
        self.queue_mut(escalated).remove(&place)
    }

    /// The first waiting ticket seat `index` may take (escalated ones for supervisors).
    pub fn next_for(&self, index: usize) -> Option<(Place, Waiting)> {
        let seat = &self.seats[index];
        let escalated = seat.agent.role == Role::Supervisor;
        let queue = if escalated {
            &self.escalations
        } else {
            &self.queue
        };
        queue
            .iter()
            .find(|(_, w)| seat.qualifies(w, escalated))
            .map(|(p, w)| (*p, w.clone()))
    }

    /// How many tickets wait (department queues, escalation queue).
    pub fn waiting(&self) -> (usize, usize) {
        (self.queue.len(), self.escalations.len())
    }

    fn queue_mut(&mut self, escalated: bool) -> &mut BTreeMap<Place, Waiting> {
        if escalated {
            &mut self.escalations
        } else {
            &mut self.queue
        }
    }
}

/// The queue place of a ticket.
pub fn place(priority: i64, seq: i64) -> Place {
    (Reverse(priority), seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(name: &str, skills: &[&str], cap: u32, role: Role) -> Agent {
        Agent {
            name: name.into(),
            skills: skills.iter().map(|s| (*s).to_owned()).collect(),
            cap,
            role,
        }
    }

    fn waiting(id: &str, dept: &str, lang: &str) -> Waiting {
        Waiting {
            ticket_id: id.into(),
            department: dept.into(),
            language: lang.into(),
        }
    }

    #[test]
    fn skill_then_load_then_round_robin() {
        let mut r = Routing::new(&[
            agent("a", &["logistics", "zh"], 2, Role::Agent),
            agent("b", &["logistics", "zh", "en"], 2, Role::Agent),
            agent("c", &["returns", "zh"], 2, Role::Agent),
            agent("s", &[], 2, Role::Supervisor),
        ]);
        assert_eq!(r.pick_agent("logistics", "en"), Some(1));
        let first = r.pick_agent("logistics", "zh").expect("someone");
        r.take(first);
        let second = r.pick_agent("logistics", "zh").expect("someone");
        assert_ne!(first, second, "equal loads alternate");
        r.take(second);
        let third = r.pick_agent("logistics", "zh").expect("someone");
        assert_eq!(third, first, "least recently assigned first");
        r.take(third);
        r.take(second);
        assert_eq!(r.pick_agent("logistics", "zh"), None, "both at cap");
        assert_eq!(r.pick_agent("payment", "zh"), None);
        assert!(
            r.seat(2).handles(GENERAL, "zh"),
            "the general queue needs the language only"
        );
        assert!(!r.seat(2).handles(GENERAL, "en"));
        assert_eq!(r.pick_supervisor("fr"), Some(3), "no language skills: any");
    }

    #[test]
    fn queue_is_by_priority_then_arrival_and_skill() {
        let mut r = Routing::new(&[agent("a", &["logistics", "zh"], 1, Role::Agent)]);
        r.enqueue(place(2, 1), waiting("t1", "logistics", "zh"), false);
        r.enqueue(place(2, 2), waiting("t2", "returns", "zh"), false);
        r.enqueue(place(12, 3), waiting("t3", "logistics", "zh"), false);
        r.enqueue(place(2, 0), waiting("t0", "logistics", "en"), false);
        let (p, w) = r.next_for(0).expect("a ticket for a");
        assert_eq!(w.ticket_id, "t3");
        r.dequeue(p, false);
        assert_eq!(r.next_for(0).map(|(_, w)| w.ticket_id), Some("t1".into()));
        assert_eq!(r.waiting(), (3, 0));
    }
}
