//! The contacts module's demo data, on the pipeline's demo customers: a few fields (city,
//! tier, birthday) filled in, two tags, a second "Ana Souza" who wrote by email (a
//! likely duplicate to merge), the segment "VIP in Pune", the group "Launch guests", a
//! second phone number for Ana, and a priority and order number on her conversation.

use crate::contact::{self, ContactForm};
use crate::definitions;
use crate::fields::DefinitionInput;
use crate::segments;
use crate::tags;
use msgbuddy_core::workspaces::Member;
use msgbuddy_core::{Actor, Db, Error, Result};
use msgbuddy_domain::Role;
use msgbuddy_domain::custom_field::FieldScope;
use msgbuddy_domain::segment::Condition;
use sqlx::Row;

async fn contact_with_phone(db: &Db, workspace_id: &str, phone: &str) -> Result<String> {
    sqlx::query("SELECT id FROM contacts WHERE workspace_id = $1 AND phone = $2 AND is_test = 0")
        .bind(workspace_id)
        .bind(phone)
        .fetch_optional(db.reader())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?
        .ok_or_else(|| Error::internal(format!("the demo has no contact with {phone}")))
}

fn field(key: &str, label: &str, kind: &str, options: &str) -> DefinitionInput {
    DefinitionInput {
        key: key.into(),
        label: label.into(),
        kind: kind.into(),
        options: options.into(),
        ..DefinitionInput::default()
    }
}

pub async fn seed(db: &Db, workspace_id: &str, user_id: &str) -> Result<()> {
    let owner = Member {
        workspace_id: workspace_id.to_owned(),
        user_id: user_id.to_owned(),
        role: Role::Owner,
        test_mode: false,
    };
    let actor = Actor {
        user_id: user_id.to_owned(),
        ip: None,
    };
    for input in [
        field("city", "City", "text", ""),
        field("tier", "Tier", "select", "Gold\nSilver\nBronze"),
        field("birthday", "Birthday", "date", ""),
    ] {
        definitions::create(db, &actor, &owner, FieldScope::Contact, &input).await?;
    }
    let vip = tags::create(db, &actor, &owner, "vip", "#f59e0b").await?;
    let wholesale = tags::create(db, &actor, &owner, "wholesale", "#0ea5e9").await?;
    let people = [
        (
            "+15550100001",
            "Ana Souza",
            "Pune",
            "Gold",
            "1990-04-12",
            vec![vip.id.clone()],
        ),
        (
            "+15550100002",
            "Ravi Kumar",
            "Pune",
            "Silver",
            "",
            vec![wholesale.id.clone()],
        ),
        (
            "+15550100003",
            "Mia Chen",
            "Lisbon",
            "Gold",
            "",
            vec![vip.id.clone()],
        ),
    ];
    let mut ids = Vec::new();
    for (phone, name, city, tier, birthday, worn) in people {
        let id = contact_with_phone(db, workspace_id, phone).await?;
        let other_phones = (name == "Ana Souza").then(|| vec!["+14155550109".to_owned()]);
        let form = ContactForm {
            name: name.into(),
            phone: phone.into(),
            phones: other_phones,
            fields: vec![
                ("city".into(), city.into()),
                ("tier".into(), tier.into()),
                ("birthday".into(), birthday.into()),
            ],
            tags: Some(worn),
            ..ContactForm::default()
        };
        contact::update(db, &actor, &owner, &id, &form).await?;
        ids.push(id);
    }
    let twin = ContactForm {
        name: "Ana Souza".into(),
        email: "ana.souza@example.com".into(),
        fields: vec![("city".into(), "Pune".into())],
        ..ContactForm::default()
    };
    contact::create(db, &actor, &owner, &twin).await?;
    let condition = |field: &str, op: &str, value: &str| Condition {
        field: field.into(),
        op: op.into(),
        value: value.into(),
    };
    segments::create(
        db,
        &actor,
        &owner,
        "VIP in Pune",
        true,
        &[
            condition("tag", "has", &vip.id),
            condition("field.city", "eq", "Pune"),
        ],
    )
    .await?;
    let guests = crate::groups::create(db, &actor, &owner, "Launch guests").await?;
    let picked = [ids[0].clone(), ids[2].clone()];
    crate::groups::add(db, &owner, &guests.id, &picked).await?;
    for input in [
        field("priority", "Priority", "select", "Low\nNormal\nHigh"),
        field("order_number", "Order number", "text", ""),
    ] {
        definitions::create(db, &actor, &owner, FieldScope::Conversation, &input).await?;
    }
    let conversation: Option<String> = sqlx::query(
        "SELECT id FROM conversations WHERE contact_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(&ids[0])
    .fetch_optional(db.reader())
    .await?
    .map(|r| r.try_get(0))
    .transpose()?;
    if let Some(conversation) = conversation {
        let values = [
            ("priority".to_owned(), "High".into()),
            ("order_number".to_owned(), "A-1042".into()),
        ];
        crate::conversation_fields::save(db, &actor, &owner, &conversation, &values).await?;
    }
    Ok(())
}
