//! Schedules: when to inject which intent and when to heal. A random schedule alternates a
//! fault drawn from the enabled families with a heal, one every `interval`; a scripted schedule
//! (a YAML file of times and intents) runs the same faults every time.

use std::time::Duration;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::intent::{Family, Intent, PartitionShape, Rate, Who};

/// The latest a step may be (and the longest a run's times may be): a week, in seconds.
pub const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// One step: at `at` since the run started, do `intent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleStep {
    /// When, since the start of the run.
    pub at: Duration,
    /// The intent to inject (or `heal`).
    pub intent: Intent,
}

/// A step as written in a schedule file: `- {at: 5, do: isolate n3}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Seconds since the run started.
    pub at: f64,
    /// The intent, e.g. `isolate leader` or `heal`.
    #[serde(rename = "do", deserialize_with = "intent_from_str")]
    pub intent: Intent,
}

fn intent_from_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Intent, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// A fixed list of steps, in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedSchedule {
    steps: Vec<ScheduleStep>,
    next: usize,
}

impl ScriptedSchedule {
    /// Parses a schedule file's text; errors name the file and line and say how to fix it.
    pub fn parse(text: &str, file: &str) -> Result<ScriptedSchedule, String> {
        let steps: Vec<Step> = serde_saphyr::from_str(text).map_err(|e| {
            format!("{file}: {e}; a schedule is a YAML list of steps such as `- {{at: 5, do: isolate n3}}`")
        })?;
        let mut out = Vec::with_capacity(steps.len());
        for (i, step) in steps.into_iter().enumerate() {
            if !(0.0..=MAX_SECONDS).contains(&step.at) {
                return Err(format!(
                    "{file}: step {}: at = {:?} must be a number of seconds from 0 to {MAX_SECONDS} (a week)",
                    i + 1,
                    step.at
                ));
            }
            let at = Duration::from_secs_f64(step.at);
            if out.last().is_some_and(|prev: &ScheduleStep| prev.at > at) {
                return Err(format!(
                    "{file}: step {}: at = {} is earlier than the step before; sort the steps",
                    i + 1,
                    step.at
                ));
            }
            out.push(ScheduleStep { at, intent: step.intent });
        }
        Ok(ScriptedSchedule { steps: out, next: 0 })
    }

    /// A schedule of `steps`, put in time order (steps at the same time keep their order).
    pub fn from_steps(mut steps: Vec<ScheduleStep>) -> ScriptedSchedule {
        steps.sort_by_key(|s| s.at);
        ScriptedSchedule { steps, next: 0 }
    }

    /// Every step, in time order.
    pub fn steps(&self) -> &[ScheduleStep] {
        &self.steps
    }

    /// The next step, or `None` when the script is done.
    pub fn next_step(&mut self) -> Option<ScheduleStep> {
        let step = self.steps.get(self.next).cloned();
        self.next += 1;
        step
    }
}

/// Alternates a random fault of the enabled families and a heal, every `interval`.
#[derive(Debug, Clone)]
pub struct RandomSchedule {
    intents: Vec<Intent>,
    interval: Duration,
    rng: ChaCha8Rng,
    count: u32,
}

impl RandomSchedule {
    /// A schedule drawing from `families`, seeded by `seed`.
    pub fn new(families: &[Family], interval: Duration, seed: u64) -> RandomSchedule {
        let mut intents = Vec::new();
        for family in families {
            match family {
                Family::Partition => intents.extend(
                    [
                        PartitionShape::RandomHalves,
                        PartitionShape::Isolate(Who::One),
                        PartitionShape::Isolate(Who::Leader),
                        PartitionShape::MajoritiesRing,
                        PartitionShape::Bridge,
                        PartitionShape::OneWay,
                    ]
                    .map(Intent::Partition),
                ),
                Family::Kill => intents.extend([Who::One, Who::Minority, Who::Leader].map(Intent::Kill)),
                Family::Pause => intents.extend([Who::One, Who::Minority, Who::Leader].map(Intent::Pause)),
                Family::Clock => intents.extend([
                    Intent::ClockBump(Who::One, 60),
                    Intent::ClockBump(Who::Minority, -60),
                    Intent::ClockBump(Who::Leader, 30),
                    Intent::ClockStrobe(Who::One, crate::clock::STROBE_SECONDS),
                ]),
                Family::Loss => intents.extend([Intent::Loss(Who::One, 30), Intent::Loss(Who::Minority, 60)]),
                Family::Delay => {
                    intents.extend([Intent::Delay(Who::One, 100, 0), Intent::Delay(Who::Minority, 50, 40)])
                }
                Family::Bandwidth => intents.extend([Intent::Bandwidth(Who::One, Rate { kbit: 1_000 })]),
                Family::Cpu => intents.extend([Intent::Cpu(Who::One, 2), Intent::Cpu(Who::Leader, 2)]),
                Family::Memory => intents.extend([Intent::Memory(Who::One, 512)]),
                Family::Disk => intents.extend([Intent::Disk(Who::One)]),
            }
        }
        RandomSchedule { intents, interval, rng: ChaCha8Rng::seed_from_u64(seed), count: 0 }
    }

    /// The same schedule without the intents that name the leader (for a target that cannot
    /// tell which node leads).
    pub fn without_leader(mut self) -> RandomSchedule {
        self.intents.retain(|intent| !intent.needs_leader());
        self
    }

    /// The next step (the schedule never ends; the run's time limit does), or `None` when no
    /// family is enabled.
    pub fn next_step(&mut self) -> Option<ScheduleStep> {
        self.count += 1;
        let at = self.interval * self.count;
        if self.count.is_multiple_of(2) {
            return Some(ScheduleStep { at, intent: Intent::Heal });
        }
        self.intents.choose(&mut self.rng).map(|intent| ScheduleStep { at, intent: intent.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_schedules_parse_and_name_bad_lines() {
        let mut s = ScriptedSchedule::parse("- {at: 1, do: isolate n3}\n- {at: 4.5, do: heal}\n", "s.yaml").unwrap();
        assert_eq!(s.next_step().unwrap().intent, "isolate n3".parse().unwrap());
        assert_eq!(s.next_step().unwrap().at, Duration::from_millis(4500));
        assert!(s.next_step().is_none());
        let err = ScriptedSchedule::parse("- {at: 1, do: isolate n3}\n- {at: 2, do: explode}\n", "s.yaml").unwrap_err();
        assert!(err.contains("s.yaml") && err.contains("explode") && err.contains("line 2"), "{err}");
        let err = ScriptedSchedule::parse("- {at: 1, do: heal, when: 3}\n", "s.yaml").unwrap_err();
        assert!(err.contains("when"), "{err}");
        assert!(ScriptedSchedule::parse("- {at: 3, do: heal}\n- {at: 2, do: heal}\n", "s.yaml").is_err());
        for at in ["1e300", "-1", ".nan", ".inf"] {
            let err = ScriptedSchedule::parse(&format!("- {{at: {at}, do: heal}}\n"), "s.yaml").unwrap_err();
            assert!(err.contains("s.yaml: step 1") && err.contains("a week"), "{at}: {err}");
        }
    }

    #[test]
    fn random_schedules_alternate_and_repeat_from_the_seed() {
        let families = [Family::Partition, Family::Kill, Family::Pause];
        let mut a = RandomSchedule::new(&families, Duration::from_secs(10), 42);
        let mut b = RandomSchedule::new(&families, Duration::from_secs(10), 42);
        for i in 1..20u32 {
            let (x, y) = (a.next_step().unwrap(), b.next_step().unwrap());
            assert_eq!(x, y);
            assert_eq!(x.at, Duration::from_secs(10) * i);
            assert_eq!(x.intent == Intent::Heal, i % 2 == 0);
        }
        assert!(RandomSchedule::new(&[], Duration::from_secs(1), 1).next_step().is_none());
        let mut leaderless = RandomSchedule::new(&families, Duration::from_secs(1), 42).without_leader();
        assert!((0..200).filter_map(|_| leaderless.next_step()).all(|step| !step.intent.needs_leader()));
    }
}
