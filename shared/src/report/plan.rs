//! The multi-year plan as data: its SDGs, its actions and each action's
//! indicators, defined over the facts the records yield ([`super::facts`]).
//!
//! The plan ships with defaults ([`Plan::builtin`], from
//! `shared/plan/meerjarenplan-2020-2025.toml`); the department edits its
//! own copy (a TOML file on the server) without a new release. A file is
//! read whole and checked ([`Plan::parse`]) before anything uses it: an
//! unknown SDG, fact kind, measure or value, or a code used twice, is
//! refused with the line's meaning spelled out.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::facts::FactKind;
use crate::model::Lang;

/// The plan shipped with Brug.
pub const BUILTIN_PLAN: &str = include_str!("../../plan/meerjarenplan-2020-2025.toml");

/// One SDG of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sdg {
    /// The UN number (1 = no poverty).
    pub number: u8,
    /// Dutch name.
    pub nl: String,
    /// English name.
    pub en: String,
}

/// How an indicator counts the facts it selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// How many facts.
    Count,
    /// How many different households (cases) the facts are about.
    Households,
    /// The facts' amounts added up, in euro cents.
    Euro,
    /// The participants of collective activities added up.
    Participants,
}

impl Measure {
    /// The unit a reader sees beside the figure.
    pub fn unit(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::Count, Lang::Nl) => "aantal",
            (Self::Count, Lang::En) => "number",
            (Self::Households, Lang::Nl) => "gezinnen",
            (Self::Households, Lang::En) => "households",
            (Self::Euro, _) => "€",
            (Self::Participants, Lang::Nl) => "deelnemers",
            (Self::Participants, Lang::En) => "participants",
        }
    }
}

/// One indicator: which facts it selects and how it counts them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Stable code, unique in the plan.
    pub code: String,
    /// Dutch name.
    pub nl: String,
    /// English name.
    pub en: String,
    /// The fact kinds it selects (any of them).
    pub facts: Vec<FactKind>,
    /// Only facts with one of these details (empty: any).
    #[serde(default)]
    pub detail: Vec<String>,
    /// Only facts with one of these outcomes (empty: any).
    #[serde(default)]
    pub outcome: Vec<String>,
    /// How the selected facts are counted.
    pub measure: Measure,
}

impl Indicator {
    /// The indicator's name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }

    /// Whether a fact of `kind` with `detail` and `outcome` counts here.
    pub fn selects(&self, kind: FactKind, detail: &str, outcome: &str) -> bool {
        self.facts.contains(&kind)
            && (self.detail.is_empty() || self.detail.iter().any(|d| d == detail))
            && (self.outcome.is_empty() || self.outcome.iter().any(|o| o == outcome))
    }
}

/// One action of the plan, under one SDG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Stable code, unique in the plan; collective activities name it.
    pub code: String,
    /// The SDG it serves.
    pub sdg: u8,
    /// Dutch name.
    pub nl: String,
    /// English name.
    pub en: String,
    /// What it counts.
    pub indicators: Vec<Indicator>,
}

impl Action {
    /// The action's name in `lang`.
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }
}

/// The plan: SDGs, actions, indicators, and the version a report names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The version the department gives its file ("2025.2").
    pub version: String,
    /// The plan's title.
    pub title: String,
    /// Its SDGs, in the order reports show them.
    pub sdgs: Vec<Sdg>,
    /// Its actions, in the order reports show them.
    pub actions: Vec<Action>,
}

/// Why a plan file was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// Not TOML, or a field of the wrong type or unknown.
    #[error("het plan is geen geldig bestand: {0} / the plan file is not valid: {0}")]
    Syntax(String),
    /// Valid TOML whose content does not hold together.
    #[error("het plan klopt niet: {nl} / the plan does not hold together: {en}")]
    Invalid {
        /// In Dutch.
        nl: String,
        /// In English.
        en: String,
    },
}

fn invalid(nl: String, en: String) -> PlanError {
    PlanError::Invalid { nl, en }
}

impl Plan {
    /// The plan shipped with Brug.
    pub fn builtin() -> Self {
        #[allow(clippy::expect_used)] // checked by the test `the_builtin_plan_is_valid`
        Self::parse(BUILTIN_PLAN).expect("the built-in plan is valid")
    }

    /// Reads and checks a plan file's text.
    pub fn parse(text: &str) -> Result<Self, PlanError> {
        let plan: Plan = toml::from_str(text).map_err(|e| PlanError::Syntax(e.to_string()))?;
        plan.check()?;
        Ok(plan)
    }

    /// A short fingerprint of the plan's content, shown beside its version
    /// so two files that claim one version but differ can be told apart.
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(&Sha256::digest(&json)[..4])
    }

    /// "2025.2 (ab12cd34)": what every report and sheet names.
    pub fn label(&self) -> String {
        format!("{} ({})", self.version, self.fingerprint())
    }

    /// The SDG with `number`.
    pub fn sdg(&self, number: u8) -> Option<&Sdg> {
        self.sdgs.iter().find(|s| s.number == number)
    }

    /// The action with `code`.
    pub fn action(&self, code: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.code == code)
    }

    fn check(&self) -> Result<(), PlanError> {
        if self.version.trim().is_empty() {
            return Err(invalid(
                "de versie ontbreekt".into(),
                "the version is missing".into(),
            ));
        }
        let mut sdgs = BTreeSet::new();
        for s in &self.sdgs {
            if !(1..=17).contains(&s.number) || !sdgs.insert(s.number) {
                return Err(invalid(
                    format!("SDG {} is geen SDG of staat er twee keer", s.number),
                    format!("SDG {} is not an SDG or is listed twice", s.number),
                ));
            }
        }
        let mut codes = BTreeSet::new();
        for a in &self.actions {
            if a.code.trim().is_empty() || !codes.insert(a.code.as_str()) {
                return Err(invalid(
                    format!("actie '{}' heeft geen of een dubbele code", a.nl),
                    format!("action '{}' has no code or a code used twice", a.en),
                ));
            }
            if !sdgs.contains(&a.sdg) {
                return Err(invalid(
                    format!(
                        "actie {} hoort bij SDG {}, die niet in het plan staat",
                        a.code, a.sdg
                    ),
                    format!(
                        "action {} belongs to SDG {}, which the plan does not list",
                        a.code, a.sdg
                    ),
                ));
            }
        }
        let mut indicators = BTreeSet::new();
        for a in &self.actions {
            for i in &a.indicators {
                self.check_indicator(a, i, &mut indicators)?;
            }
        }
        Ok(())
    }

    fn check_indicator<'a>(
        &self,
        action: &Action,
        i: &'a Indicator,
        seen: &mut BTreeSet<&'a str>,
    ) -> Result<(), PlanError> {
        let at = format!("{} / {}", action.code, i.code);
        if i.code.trim().is_empty() || !seen.insert(i.code.as_str()) {
            return Err(invalid(
                format!("indicator {at} heeft geen of een dubbele code"),
                format!("indicator {at} has no code or a code used twice"),
            ));
        }
        if i.facts.is_empty() {
            return Err(invalid(
                format!("indicator {at} telt geen enkel soort feit"),
                format!("indicator {at} counts no kind of fact"),
            ));
        }
        if i.measure == Measure::Euro && !i.facts.iter().all(|k| k.has_amount()) {
            return Err(invalid(
                format!("indicator {at} telt euro, maar niet elk gekozen feit heeft een bedrag"),
                format!("indicator {at} adds euro, but not every fact it selects has an amount"),
            ));
        }
        if i.measure == Measure::Participants && !i.facts.contains(&FactKind::Activity) {
            return Err(invalid(
                format!("indicator {at} telt deelnemers, maar kiest geen collectieve activiteiten"),
                format!("indicator {at} adds participants but selects no collective activities"),
            ));
        }
        for d in &i.detail {
            let known = i.facts.iter().any(|k| match k.details() {
                Some(list) => list.contains(&d.as_str()),
                None if *k == FactKind::Activity => self.action(d).is_some(),
                None => !d.trim().is_empty(),
            });
            if !known {
                return Err(invalid(
                    format!("indicator {at}: '{d}' is geen gekende waarde voor die feiten"),
                    format!("indicator {at}: '{d}' is not a known value for those facts"),
                ));
            }
        }
        for o in &i.outcome {
            if !i.facts.iter().any(|k| k.outcomes().contains(&o.as_str())) {
                return Err(invalid(
                    format!("indicator {at}: '{o}' is geen gekende uitkomst voor die feiten"),
                    format!("indicator {at}: '{o}' is not a known outcome for those facts"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_plan_is_valid() {
        let plan = Plan::parse(BUILTIN_PLAN).expect("valid");
        assert!(plan.actions.len() >= 10);
        for n in [1, 2, 3, 4, 8, 10, 11] {
            assert!(plan.sdg(n).is_some(), "SDG {n}");
            assert!(
                plan.actions.iter().any(|a| a.sdg == n),
                "an action for SDG {n}"
            );
        }
        assert_eq!(plan.fingerprint().len(), 8);
    }

    #[test]
    fn docs_reports_md_lists_every_action_indicator_and_fact_kind_of_the_builtin_plan() {
        let doc = include_str!("../../../docs/reports.md");
        let plan = Plan::builtin();
        assert!(doc.contains(&format!("Versie / version {}.", plan.version)));
        for a in &plan.actions {
            assert!(doc.contains(&format!("`{}`", a.code)), "action {}", a.code);
            for i in &a.indicators {
                assert!(
                    doc.contains(&format!("| `{}` |", i.code)),
                    "indicator {}",
                    i.code
                );
            }
        }
        for k in super::super::FactKind::ALL {
            assert!(
                doc.contains(&format!("| `{}` |", k.code())),
                "fact kind {}",
                k.code()
            );
        }
    }

    #[test]
    fn a_plan_with_an_unknown_value_or_a_code_twice_is_refused() {
        let broken = BUILTIN_PLAN.replacen("\"done\"", "\"finished\"", 1);
        assert!(matches!(
            Plan::parse(&broken),
            Err(PlanError::Invalid { .. })
        ));
        let twice = format!(
            "{BUILTIN_PLAN}\n[[actions]]\ncode = \"brugfiguren\"\nsdg = 1\nnl = \"x\"\nen = \"x\"\nindicators = []\n"
        );
        assert!(matches!(
            Plan::parse(&twice),
            Err(PlanError::Invalid { .. })
        ));
        let unknown_field = BUILTIN_PLAN.replacen("title =", "titel = \"x\"\ntitle =", 1);
        assert!(matches!(
            Plan::parse(&unknown_field),
            Err(PlanError::Syntax(_))
        ));
        let euro_on_visits = "version = \"1\"\ntitle = \"t\"\n[[sdgs]]\nnumber = 1\nnl = \"a\"\nen = \"a\"\n\
             [[actions]]\ncode = \"a\"\nsdg = 1\nnl = \"a\"\nen = \"a\"\n\
             [[actions.indicators]]\ncode = \"i\"\nnl = \"i\"\nen = \"i\"\nfacts = [\"visit\"]\nmeasure = \"euro\"\n";
        assert!(matches!(
            Plan::parse(euro_on_visits),
            Err(PlanError::Invalid { .. })
        ));
    }
}
