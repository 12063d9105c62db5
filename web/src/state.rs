//! The lab page's state and its reducer: every change to a run goes through [`Page::reduce`].
//!
//! ```text
//!   rAF wall time ─► Tick(dt) ─┐
//!   buttons, keys ─► Step, Seek, Fork, Command(json), … ─► reduce ─► Page { rev + 1 } ─► view
//!   effects (URL, clipboard, timers) read the Page and dispatch; the reducer does no I/O
//! ```
//!
//! The runs live in a [`Session`] behind `Rc<RefCell<…>>`: copying a simulation on every frame
//! would cost more than the frame budget, so the reducer is the only writer and every change
//! bumps [`Page::rev`], which is what components compare to decide whether to redraw.
//! Everything the reducer does is deterministic; randomness (a new seed) arrives inside actions.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use orrery_core::link;
use orrery_core::registry::{Lab, LabRun};
use orrery_core::run::MAX_TIME;
use orrery_core::Time;
use serde_json::Value;
use yew::Reducible;

/// The speed multipliers the controls offer, slowest first.
pub const SPEEDS: [f64; 9] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0, 100.0, 1000.0];
/// The index of 1× in [`SPEEDS`].
pub const DEFAULT_SPEED: usize = 2;
/// The longest wall-clock gap one frame may turn into simulated time, in milliseconds, so a tab
/// that was in the background does not jump ahead or freeze when it comes back.
pub const MAX_FRAME_MS: f64 = 100.0;
/// How often, in wall milliseconds, panels that are costly to draw (metrics) refresh while
/// playing.
const SLOW_EVERY_MS: f64 = 250.0;

/// What a tick on the seek bar marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Marker {
    /// A command from outside that the run accepted (a call, a fault).
    Input,
    /// A command the run refused.
    Refusal,
}

/// Which of the two runs of compare mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// Compare mode: run B is run A with one scenario field set to another value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareSpec {
    /// A dotted path into the scenario, e.g. `dispatcher` or `traffic.pattern`.
    pub field: String,
    pub value: String,
}

impl CompareSpec {
    /// The form stored in a link's view options: `field=value`.
    pub fn encode(&self) -> String {
        format!("{}={}", self.field, self.value)
    }

    pub fn decode(s: &str) -> Option<CompareSpec> {
        let (field, value) = s.split_once('=')?;
        let field_ok = !field.is_empty()
            && field
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        field_ok.then(|| CompareSpec {
            field: field.to_string(),
            value: value.to_string(),
        })
    }

    /// The value as JSON: a number or boolean when it reads as one, otherwise a string.
    fn json_value(&self) -> Value {
        match serde_json::from_str::<Value>(&self.value) {
            Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
            _ => Value::String(self.value.clone()),
        }
    }
}

/// Reads the value at a dotted path of a JSON object.
pub fn get_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// Sets the value at a dotted path, creating objects on the way.
pub fn set_path(value: &mut Value, path: &str, new: Value) {
    let mut at = value;
    for key in path.split('.') {
        if !at.is_object() {
            *at = Value::Object(serde_json::Map::new());
        }
        let Value::Object(map) = at else {
            return;
        };
        at = map.entry(key.to_string()).or_insert(Value::Null);
    }
    *at = new;
}

/// The runs of one lab page and what the page has seen of them.
pub struct Session {
    pub lab: Lab,
    /// The main run; in compare mode, the left one.
    pub a: Box<dyn LabRun>,
    /// The other configuration in compare mode.
    pub b: Option<Box<dyn LabRun>>,
    pub compare: Option<CompareSpec>,
    /// The furthest time run A has reached on the current timeline; the seek bar's end.
    pub horizon: Time,
    /// Inputs and refusals of run A, by (time, log index).
    pub markers: BTreeMap<(Time, usize), Marker>,
    /// The first invariant violation seen on the current timeline, which stays known when
    /// the run is seeked back before it.
    pub first_violation: Option<(Time, String)>,
    /// How many of run A's log entries have been scanned for markers.
    scanned: usize,
    /// Simulated milliseconds owed to the run from fractional frames.
    carry: f64,
}

impl Session {
    fn new(lab: Lab, a: Box<dyn LabRun>) -> Session {
        let mut s = Session {
            lab,
            a,
            b: None,
            compare: None,
            horizon: 0,
            markers: BTreeMap::new(),
            first_violation: None,
            scanned: 0,
            carry: 0.0,
        };
        s.observe();
        s
    }

    /// The run of one side; B is `None` outside compare mode.
    pub fn run(&self, side: Side) -> Option<&dyn LabRun> {
        match side {
            Side::A => Some(self.a.as_ref()),
            Side::B => self.b.as_deref(),
        }
    }

    /// A short label for a side in compare mode, e.g. `dispatcher = eta`.
    pub fn label(&self, side: Side) -> String {
        let Some(spec) = &self.compare else {
            return String::new();
        };
        let Some(run) = self.run(side) else {
            return String::new();
        };
        let scenario = run.scenario_json();
        let value = match get_path(&scenario, &spec.field) {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => "default".into(),
        };
        format!("{} = {value}", spec.field)
    }

    /// Starts a fresh timeline from run A: forgets what lay ahead of it.
    fn start_timeline(&mut self, a: Box<dyn LabRun>) -> Result<(), String> {
        self.a = a;
        self.horizon = 0;
        self.markers.clear();
        self.scanned = 0;
        self.first_violation = None;
        self.carry = 0.0;
        let result = self.rebuild_b();
        self.observe();
        result
    }

    /// Rebuilds run B from run A (same seed, inputs and time) and the compare spec.
    fn rebuild_b(&mut self) -> Result<(), String> {
        self.b = None;
        let Some(spec) = &self.compare else {
            return Ok(());
        };
        let fragment = self.a.link(&BTreeMap::new());
        let (_, mut payload) = link::parse(&fragment).map_err(|e| e.to_string())?;
        set_path(&mut payload.scenario, &spec.field, spec.json_value());
        // B's scenario goes through the lab's prepare step too; run A's is prepared already,
        // so only a compared field naming new data can be waiting for it here.
        if let Some(prepare) = crate::labs::ui(self.lab.id).prepare {
            match (prepare.scenario)(payload.scenario, &yew::Callback::noop()) {
                crate::labs::Prepared::Ready(scenario) => payload.scenario = scenario,
                crate::labs::Prepared::Loading(why)
                | crate::labs::Prepared::Failed(why)
                | crate::labs::Prepared::Refused(why) => return Err(why),
            }
        }
        let b = (self.lab.open)(&payload).map_err(|e| e.to_string())?;
        self.b = Some(b);
        Ok(())
    }

    /// Puts run B at run A's time.
    fn sync_b(&mut self) {
        let now = self.a.now();
        if let Some(b) = &mut self.b {
            if b.now() != now {
                b.seek(now);
            }
        }
    }

    /// Keeps the page's view of run A current: horizon, markers, first violation.
    fn observe(&mut self) {
        let now = self.a.now();
        self.horizon = self.horizon.max(now);
        let len = self.a.log_len();
        self.scanned = self.scanned.min(len);
        for i in self.scanned..len {
            if let Some(kind) = classify(&self.a.log_line(i)) {
                self.markers.insert((self.a.log_time(i), i), kind);
            }
        }
        self.scanned = len;
        if let Some((t, _, v)) = self.a.violation() {
            if self
                .first_violation
                .as_ref()
                .is_none_or(|(seen, _)| t < *seen)
            {
                self.first_violation = Some((t, v.to_string()));
            }
        }
    }

    /// Forgets everything after now: the recorded future is about to change.
    fn cut_future(&mut self) {
        self.observe();
        let len = self.a.log_len();
        self.markers.retain(|&(_, i), _| i < len);
        self.horizon = self.a.now();
        self.first_violation = self.a.violation().map(|(t, _, v)| (t, v.to_string()));
    }
}

/// Marks a log line written by the run for an outside command: `<time> > <command>…`.
fn classify(line: &str) -> Option<Marker> {
    let (_, rest) = line.trim_start().split_once(' ')?;
    let command = rest.strip_prefix("> ")?;
    Some(if command.contains(" refused: ") {
        Marker::Refusal
    } else {
        Marker::Input
    })
}

/// A short message under the controls, such as a refused command.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// Distinguishes two notices with the same text, so each gets its own dismiss timer.
    pub id: u64,
    pub text: String,
    pub error: bool,
}

/// Everything the lab page shows that is not drawn straight from the runs.
#[derive(Clone)]
pub struct Page {
    pub session: Rc<RefCell<Session>>,
    /// Bumped on every change; components redraw when it moves.
    pub rev: u64,
    /// Bumped at most every [`SLOW_EVERY_MS`] while playing, and on every other change.
    pub slow_rev: u64,
    pub playing: bool,
    /// An index into [`SPEEDS`].
    pub speed: usize,
    /// Why the link in the address bar could not be opened.
    pub link_error: Option<String>,
    pub notice: Option<Notice>,
    /// Why the scenario form's last apply was refused.
    pub form_error: Option<String>,
    /// The last link the share button produced.
    pub share_url: Option<String>,
    since_slow: f64,
}

/// Everything that can happen to a lab page.
pub enum Action {
    /// A frame: this many wall milliseconds passed since the last one.
    Tick(f64),
    TogglePlay,
    Pause,
    /// Advance to the next time something happens.
    Step,
    /// Go back to the previous time something happened.
    StepBack,
    Seek(Time),
    SetSpeed(usize),
    Faster,
    Slower,
    /// "What if from here": forget the recorded future.
    Fork,
    /// Start the same scenario again from time 0, without inputs.
    Reset,
    /// Start the same scenario with this seed.
    Reseed(u64),
    /// A lab command as JSON, applied to every run at the current time.
    Command(Value),
    /// Start a new run from this scenario.
    Scenario(Value),
    /// The lab's prepare step refused a scenario from the form (see `labs::Prepare`).
    ScenarioRefused(String),
    /// Turn compare mode on with this spec, or off.
    Compare(Option<CompareSpec>),
    /// The share button produced this link.
    Shared(String),
    Notify {
        text: String,
        error: bool,
    },
    DismissNotice(u64),
}

impl Page {
    /// Opens a lab page: from a share link when there is one, otherwise the lab's default
    /// scenario. A link that cannot be opened leaves its message in [`Page::link_error`].
    pub fn open(lab: Lab, link: Option<&str>) -> Result<Page, String> {
        let mut link_error = None;
        let mut opened = None;
        if let Some(link) = link {
            match crate::labs::open_link(link) {
                Ok(ok) => opened = Some(ok),
                Err(e) => link_error = Some(e.to_string()),
            }
        }
        let (run, view) = match opened {
            Some(ok) => ok,
            None => ((lab.create)(&(lab.default_scenario)())?, BTreeMap::new()),
        };
        let speed = view
            .get("speed")
            .and_then(|s| s.parse::<f64>().ok())
            .and_then(|want| SPEEDS.iter().position(|&s| s == want))
            .unwrap_or(DEFAULT_SPEED);
        let mut session = Session::new(lab, run);
        let mut notice = None;
        if let Some(spec) = view.get("compare").and_then(|s| CompareSpec::decode(s)) {
            session.compare = Some(spec);
            if let Err(e) = session.rebuild_b() {
                session.compare = None;
                notice = Some(Notice {
                    id: 0,
                    text: format!("Compare mode is off: {e}"),
                    error: true,
                });
            }
        }
        Ok(Page {
            session: Rc::new(RefCell::new(session)),
            rev: 0,
            slow_rev: 0,
            playing: false,
            speed,
            link_error,
            notice,
            form_error: None,
            share_url: None,
            since_slow: 0.0,
        })
    }

    /// The view options a share link carries: speed and compare mode.
    pub fn view_options(&self) -> BTreeMap<String, String> {
        let mut view = BTreeMap::new();
        if self.speed != DEFAULT_SPEED {
            view.insert("speed".to_string(), SPEEDS[self.speed].to_string());
        }
        if let Some(spec) = &self.session.borrow().compare {
            view.insert("compare".to_string(), spec.encode());
        }
        view
    }

    /// The share-link fragment (what follows `#`) for run A at its current time.
    pub fn fragment(&self) -> String {
        let view = self.view_options();
        self.session.borrow().a.link(&view)
    }

    fn notify(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice {
            id: self.rev,
            text: text.into(),
            error,
        });
    }

    /// Applies one action; returns false when nothing changed.
    fn apply(&mut self, action: Action) -> bool {
        let session = Rc::clone(&self.session);
        let mut s = session.borrow_mut();
        match action {
            Action::Tick(dt) => {
                if !self.playing {
                    return false;
                }
                let dt = if dt.is_finite() {
                    dt.clamp(0.0, MAX_FRAME_MS)
                } else {
                    0.0
                };
                let owed = dt * SPEEDS[self.speed] + s.carry;
                let whole = owed.floor();
                s.carry = owed - whole;
                let target = s.a.now().saturating_add(whole as Time).min(MAX_TIME);
                if target > s.a.now() {
                    s.a.advance_to(target);
                    s.sync_b();
                    s.observe();
                }
                if target >= MAX_TIME {
                    self.playing = false;
                }
                self.since_slow += dt;
                if self.since_slow >= SLOW_EVERY_MS {
                    self.since_slow = 0.0;
                    self.slow_rev += 1;
                }
                return true;
            }
            Action::TogglePlay => {
                self.playing = !self.playing;
                s.carry = 0.0;
            }
            Action::Pause => {
                if !self.playing {
                    return false;
                }
                self.playing = false;
            }
            Action::Step => {
                self.playing = false;
                let next = match (s.a.next_time(), s.b.as_ref().and_then(|b| b.next_time())) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                };
                match next.filter(|&t| t <= MAX_TIME) {
                    Some(t) => {
                        s.a.advance_to(t);
                        s.sync_b();
                        s.observe();
                    }
                    None => self.notify("Nothing more will happen in this run.", false),
                }
            }
            Action::StepBack => {
                self.playing = false;
                if s.a.step_back() {
                    s.sync_b();
                    s.observe();
                }
            }
            Action::Seek(t) => {
                s.a.seek(t.min(MAX_TIME));
                s.sync_b();
                s.observe();
            }
            Action::SetSpeed(i) => {
                if i >= SPEEDS.len() || i == self.speed {
                    return false;
                }
                self.speed = i;
            }
            Action::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Action::Slower => self.speed = self.speed.saturating_sub(1),
            Action::Fork => {
                s.cut_future();
                s.a = s.a.fork();
                if let Some(b) = s.b.take() {
                    s.b = Some(b.fork());
                }
                self.notify(
                    "Forked: the recorded future is gone; what happens next is up to you.",
                    false,
                );
            }
            Action::Reset => {
                let run = (s.lab.create)(&s.a.scenario_json());
                match run {
                    Ok(run) => {
                        if let Err(e) = s.start_timeline(run) {
                            self.notify(format!("Compare mode could not restart: {e}"), true);
                        }
                    }
                    Err(e) => self.notify(format!("Reset failed: {e}"), true),
                }
            }
            Action::Reseed(seed) => {
                let run = s.a.reseed(seed);
                if let Err(e) = s.start_timeline(run) {
                    self.notify(format!("Compare mode could not restart: {e}"), true);
                }
            }
            Action::Command(command) => {
                s.cut_future();
                let result = s.a.apply_json(&command);
                if let Some(b) = &mut s.b {
                    let _ = b.apply_json(&command);
                }
                s.observe();
                if let Err(reason) = result {
                    self.notify(format!("Refused: {reason}"), true);
                }
            }
            Action::Scenario(scenario) => match (s.lab.create)(&scenario) {
                Ok(run) => {
                    self.form_error = None;
                    if let Err(e) = s.start_timeline(run) {
                        self.notify(format!("Compare mode could not restart: {e}"), true);
                    }
                }
                Err(e) => self.form_error = Some(e),
            },
            Action::ScenarioRefused(e) => self.form_error = Some(e),
            Action::Compare(spec) => {
                s.compare = spec;
                if let Err(e) = s.rebuild_b() {
                    s.compare = None;
                    self.notify(format!("Compare mode could not start: {e}"), true);
                }
            }
            Action::Shared(url) => self.share_url = Some(url),
            Action::Notify { text, error } => self.notify(text, error),
            Action::DismissNotice(id) => {
                if self.notice.as_ref().is_none_or(|n| n.id != id) {
                    return false;
                }
                self.notice = None;
            }
        }
        self.slow_rev += 1;
        true
    }
}

impl Reducible for Page {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        if next.apply(action) {
            next.rev += 1;
            Rc::new(next)
        } else {
            self
        }
    }
}

/// A shared handle to the session that components take as a property; equal when it is the
/// same session, so only the revision numbers next to it decide about redrawing.
#[derive(Clone)]
pub struct SessionRef(pub Rc<RefCell<Session>>);

impl PartialEq for SessionRef {
    fn eq(&self, other: &SessionRef) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_become_markers() {
        assert_eq!(classify("     1.500s > {\"call\":{}}"), Some(Marker::Input));
        assert_eq!(
            classify("     1.500s > {\"call\":{}} refused: no"),
            Some(Marker::Refusal)
        );
        assert_eq!(classify("     1.500s car 0 stops at floor 3"), None);
    }

    #[test]
    fn paths_read_and_write_nested_fields() {
        let mut v = serde_json::json!({"traffic": {"pattern": "up_peak"}});
        set_path(&mut v, "traffic.pattern", "lunch".into());
        set_path(&mut v, "dispatcher", "eta".into());
        assert_eq!(get_path(&v, "traffic.pattern"), Some(&Value::from("lunch")));
        assert_eq!(get_path(&v, "dispatcher"), Some(&Value::from("eta")));
        let spec = CompareSpec::decode("floors=12").unwrap_or_else(|| CompareSpec {
            field: String::new(),
            value: String::new(),
        });
        assert_eq!(spec.json_value(), Value::from(12));
        assert_eq!(CompareSpec::decode("no equals sign"), None);
    }
}
