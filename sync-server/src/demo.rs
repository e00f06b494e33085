//! Demo data: one team in Harelbeke with a bridge worker, a housing adviser,
//! a supervisor and an admin, and a handful of realistic (fictional)
//! households. Seeding twice changes nothing.

use brug_shared::casedoc::{CaseDoc, Editor};
use brug_shared::model::examples;
use brug_shared::model::*;
use brug_shared::rules::types::Postcode;
use brug_shared::store;
use rusqlite::Connection;
use uuid::Uuid;

use crate::admin::{self, Actor};
use crate::db::{self, DbError, User};
use brug_shared::model::Role;

/// The demo team.
pub const TEAM: &str = "harelbeke";

/// The demo users: (name, role).
pub const USERS: &[(&str, Role)] = &[
    ("Ann Peeters", Role::BridgeWorker),
    ("Bert Claeys", Role::HousingAdviser),
    ("Sofie Vandenberghe", Role::Supervisor),
    ("Beheerder Harelbeke", Role::Admin),
];

struct DemoCase {
    name: &'static str,
    street: &'static str,
    number: &'static str,
    postcode: &'static str,
    municipality: &'static str,
    housing: HousingSituation,
    channel: IntakeChannel,
    first_name: &'static str,
    last_name: &'static str,
    child: Option<(&'static str, &'static str)>,
    with_meter: bool,
    shared_with_adviser: bool,
}

const CASES: &[DemoCase] = &[
    DemoCase {
        name: "Familie Vermeulen",
        street: "Marktstraat",
        number: "12",
        postcode: "8530",
        municipality: "Harelbeke",
        housing: HousingSituation::PrivateRent,
        channel: IntakeChannel::School,
        first_name: "An",
        last_name: "Vermeulen",
        child: Some(("Lotte", "Basisschool De Vlieger")),
        with_meter: true,
        shared_with_adviser: true,
    },
    DemoCase {
        name: "Familie El Amrani",
        street: "Gentsesteenweg",
        number: "87",
        postcode: "8530",
        municipality: "Harelbeke",
        housing: HousingSituation::SocialRent,
        channel: IntakeChannel::Clb,
        first_name: "Samira",
        last_name: "El Amrani",
        child: Some(("Yasmine", "GO! Basisschool Harelbeke")),
        with_meter: false,
        shared_with_adviser: false,
    },
    DemoCase {
        name: "Familie Desmet",
        street: "Bavikhoofsestraat",
        number: "5",
        postcode: "8531",
        municipality: "Bavikhove",
        housing: HousingSituation::OwnerOccupier,
        channel: IntakeChannel::FluviusLac,
        first_name: "Marc",
        last_name: "Desmet",
        child: None,
        with_meter: true,
        shared_with_adviser: true,
    },
    DemoCase {
        name: "Familie Nowak",
        street: "Stasegemsesteenweg",
        number: "140",
        postcode: "8530",
        municipality: "Harelbeke",
        housing: HousingSituation::PrivateRent,
        channel: IntakeChannel::Caw,
        first_name: "Katarzyna",
        last_name: "Nowak",
        child: Some(("Jan", "Sint-Amandscollege")),
        with_meter: false,
        shared_with_adviser: false,
    },
    DemoCase {
        name: "Familie Vandamme",
        street: "Hulstse Dorpsstraat",
        number: "3",
        postcode: "8531",
        municipality: "Hulste",
        housing: HousingSituation::SocialRentalAgency,
        channel: IntakeChannel::SelfReferred,
        first_name: "Nathalie",
        last_name: "Vandamme",
        child: Some(("Finn", "Basisschool Hulste")),
        with_meter: true,
        shared_with_adviser: true,
    },
];

/// Seeds the demo team, users and cases unless they are there already.
/// Returns the demo users.
pub fn seed(conn: &mut Connection) -> Result<Vec<User>, DbError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut users = Vec::new();
    for (name, role) in USERS {
        let id = db::user_id_for(name);
        let user = match db::user(&tx, &id)? {
            Some(u) => u,
            None => admin::add_user(&tx, name, *role, TEAM, Actor::Admin)?,
        };
        users.push(user);
    }
    let already = db::doc_count(&tx)? > 0;
    if !already {
        let worker = &users[0];
        let adviser = &users[1];
        for c in CASES {
            let id = seed_case(&tx, c, worker)?;
            if c.shared_with_adviser {
                admin::set_assignment(&tx, id, &adviser.id, true, Actor::Admin)?;
            }
        }
        db::audit(
            &tx,
            None,
            None,
            "demo-seed",
            &[],
            "demo team, users and cases seeded",
        )?;
    }
    tx.commit()?;
    Ok(users)
}

fn seed_case(
    conn: &rusqlite::Transaction<'_>,
    c: &DemoCase,
    worker: &User,
) -> Result<Uuid, DbError> {
    let editor = Editor {
        user: worker.id.clone(),
        device: Uuid::nil(),
    };
    let mut household = examples::household();
    household.name = c.name.into();
    household.address.street = c.street.into();
    household.address.number = c.number.into();
    household.address.postcode =
        Postcode::parse(c.postcode).map_err(|e| DbError::Invalid(e.to_string()))?;
    household.address.municipality = c.municipality.into();
    household.housing = c.housing;
    household.intake_channel = c.channel;
    let id = Uuid::now_v7();
    let mut doc =
        CaseDoc::create(id, &household, &editor).map_err(|e| DbError::Invalid(e.to_string()))?;
    let add = |doc: &mut CaseDoc, record: Record, msg: &str| {
        doc.add_record(&record, msg)
            .map_err(|e| DbError::Invalid(e.to_string()))
    };
    if let Record::Member(mut m) = examples::example(RecordKind::Member) {
        m.first_name = c.first_name.into();
        m.last_name = c.last_name.into();
        add(&mut doc, Record::Member(m.clone()), "member added")?;
        if let Some((child, school)) = c.child {
            m.first_name = child.into();
            m.role = MemberRole::Child;
            m.birth_year = Some(2016);
            m.school = Some(school.into());
            m.class = Some("4de leerjaar".into());
            add(&mut doc, Record::Member(m), "member added")?;
        }
    }
    add(
        &mut doc,
        examples::example(RecordKind::Visit),
        "visit added",
    )?;
    if c.with_meter {
        add(
            &mut doc,
            examples::example(RecordKind::MeterCheck),
            "meter check added",
        )?;
    }
    add(
        &mut doc,
        examples::example(RecordKind::Referral),
        "referral added",
    )?;
    store::save_in(conn, &mut doc)?;
    db::record_change(conn, id, worker, true)?;
    Ok(id)
}
