//! A small, realistic demo group, seeded through the public API on first start: two brands,
//! four branches in three cities, a catalogue of common exam items and packages, and two
//! weeks of capacity starting today (Asia/Shanghai).

use hospital_proto::{
    common,
    scheduling::{self as pb, scheduling_service_client::SchedulingServiceClient},
};
use tonic::{Request, transport::Channel};

struct Branch {
    code: &'static str,
    name: &'static str,
    brand: &'static str,
    province: &'static str,
    city: &'static str,
    wait_promise_minutes: u32,
    address: &'static str,
}

const BRANCHES: &[Branch] = &[
    Branch {
        code: "SH-JA-01",
        name: "上海静安体检中心",
        brand: "美年大健康",
        province: "shanghai",
        city: "shanghai",
        wait_promise_minutes: 30,
        address: "上海市静安区南京西路1000号",
    },
    Branch {
        code: "SH-XH-02",
        name: "上海徐汇体检中心",
        brand: "慈铭体检",
        province: "shanghai",
        city: "shanghai",
        wait_promise_minutes: 30,
        address: "上海市徐汇区漕溪北路200号",
    },
    Branch {
        code: "SZ-FT-01",
        name: "深圳福田体检中心",
        brand: "美年大健康",
        province: "guangdong",
        city: "shenzhen",
        wait_promise_minutes: 25,
        address: "深圳市福田区深南大道3000号",
    },
    Branch {
        code: "GZ-TH-01",
        name: "广州天河体检中心",
        brand: "慈铭体检",
        province: "guangdong",
        city: "guangzhou",
        wait_promise_minutes: 30,
        address: "广州市天河区天河路400号",
    },
];

/// (code, name, department, minutes, fasting, order hint)
// (code, name, department, minutes, fasting, order hint, list price in fen)
const ITEMS: &[(&str, &str, &str, u32, bool, i32, i64)] = &[
    (
        "GEN-01",
        "一般检查（身高体重血压）",
        "一般检查室",
        5,
        false,
        10,
        3_000,
    ),
    (
        "LAB-BLD",
        "空腹采血（血常规、肝肾功能、血脂、血糖）",
        "检验科",
        5,
        true,
        1,
        28_000,
    ),
    (
        "US-ABD",
        "腹部彩超（肝胆胰脾肾）",
        "超声科",
        15,
        true,
        2,
        22_000,
    ),
    ("C13-UBT", "碳13呼气试验", "检验科", 20, true, 3, 18_000),
    ("ECG-12", "十二导联心电图", "心电图室", 10, false, 20, 6_000),
    ("DR-CHEST", "胸部DR", "放射科", 5, false, 30, 12_000),
    ("US-THY", "甲状腺彩超", "超声科", 10, false, 40, 15_000),
    ("EYE-01", "眼科检查", "眼科", 10, false, 50, 5_000),
    ("ENT-01", "耳鼻喉科检查", "耳鼻喉科", 10, false, 60, 5_000),
    ("IM-01", "内科检查", "内科", 5, false, 70, 3_000),
    ("GYN-01", "妇科检查", "妇科", 15, false, 80, 12_000),
    ("US-BREAST", "乳腺彩超", "超声科", 10, false, 90, 18_000),
];

/// (code, name, item codes, price in fen)
const PACKAGES: &[(&str, &str, &[&str], i64)] = &[
    (
        "BASIC",
        "基础体检套餐",
        &["GEN-01", "LAB-BLD", "ECG-12", "DR-CHEST", "IM-01"],
        39_900,
    ),
    (
        "EMPLOY",
        "入职体检套餐",
        &["GEN-01", "LAB-BLD", "DR-CHEST", "IM-01"],
        19_900,
    ),
    (
        "FULL",
        "全面深度体检套餐",
        &[
            "GEN-01", "LAB-BLD", "US-ABD", "C13-UBT", "ECG-12", "DR-CHEST", "US-THY", "EYE-01",
            "ENT-01", "IM-01",
        ],
        168_800,
    ),
    (
        "WOMEN",
        "女性专项体检套餐",
        &[
            "GEN-01",
            "LAB-BLD",
            "US-ABD",
            "GYN-01",
            "US-BREAST",
            "US-THY",
            "IM-01",
        ],
        128_800,
    ),
    (
        "DRIVER",
        "驾驶员体检（非空腹）",
        &["GEN-01", "EYE-01", "ENT-01"],
        9_900,
    ),
];

/// Window start times, (hour, minute).
type Starts = &'static [(i32, i32)];

pub(crate) fn req<T>(token: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    if let Ok(v) = format!("Bearer {token}").parse() {
        r.metadata_mut().insert("authorization", v);
    }
    r
}

fn tod(hours: i32, minutes: i32) -> common::TimeOfDay {
    common::TimeOfDay { hours, minutes }
}

fn date(d: jiff::civil::Date) -> common::Date {
    common::Date {
        year: d.year().into(),
        month: d.month().into(),
        day: d.day().into(),
    }
}

/// Seeds the demo group unless branches already exist.
pub async fn seed_if_empty(endpoint: &str, token: &str) -> anyhow::Result<()> {
    let channel = Channel::from_shared(endpoint.to_owned())?.connect().await?;
    let mut c = SchedulingServiceClient::new(channel);
    let existing = c
        .list_branches(req(
            token,
            pb::ListBranchesRequest {
                page_size: 1,
                ..Default::default()
            },
        ))
        .await?;
    if !existing.into_inner().branches.is_empty() {
        tracing::info!("demo data present; not seeding");
        return Ok(());
    }
    tracing::info!("seeding demo data");

    let mut item_ids = std::collections::HashMap::new();
    for (code, name, department, minutes, fasting, hint, price) in ITEMS {
        let item = c
            .create_exam_item(req(
                token,
                pb::CreateExamItemRequest {
                    request_id: format!("seed-item-{code}"),
                    code: (*code).into(),
                    name: (*name).into(),
                    department: (*department).into(),
                    duration_minutes: *minutes,
                    fasting_required: *fasting,
                    order_hint: *hint,
                    list_price: Some(common::Money {
                        currency_code: "CNY".into(),
                        minor_units: *price,
                    }),
                },
            ))
            .await?
            .into_inner()
            .exam_item
            .ok_or_else(|| anyhow::anyhow!("no exam item in reply"))?;
        item_ids.insert(*code, item.exam_item_id);
    }
    for (code, name, items, price) in PACKAGES {
        c.create_package(req(
            token,
            pb::CreatePackageRequest {
                request_id: format!("seed-package-{code}"),
                code: (*code).into(),
                name: (*name).into(),
                exam_item_ids: items.iter().map(|i| item_ids[i].clone()).collect(),
                price: Some(common::Money {
                    currency_code: "CNY".into(),
                    minor_units: *price,
                }),
            },
        ))
        .await?;
    }

    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai")?)
        .date();
    for b in BRANCHES {
        // Mornings are for fasting checkups, afternoons for the rest; Sundays mornings only.
        let mut hours: Vec<_> = (1..=6)
            .map(|d| pb::OpeningHours {
                weekday: d,
                opens: Some(tod(7, 30)),
                closes: Some(tod(16, 30)),
            })
            .collect();
        hours.push(pb::OpeningHours {
            weekday: 7,
            opens: Some(tod(8, 0)),
            closes: Some(tod(11, 30)),
        });
        let branch = c
            .create_branch(req(
                token,
                pb::CreateBranchRequest {
                    request_id: format!("seed-branch-{}", b.code),
                    code: b.code.into(),
                    name: b.name.into(),
                    brand: b.brand.into(),
                    region: Some(common::RegionPath {
                        province: b.province.into(),
                        city: b.city.into(),
                    }),
                    time_zone: "Asia/Shanghai".into(),
                    opening_hours: hours,
                    holidays: vec![date(jiff::civil::date(2027, 1, 1))],
                    wait_promise_minutes: b.wait_promise_minutes,
                    fasting_arrival_cutoff: Some(tod(10, 0)),
                    visit_wait_promise_minutes: 60,
                    address: b.address.into(),
                },
            ))
            .await?
            .into_inner()
            .branch
            .ok_or_else(|| anyhow::anyhow!("no branch in reply"))?;
        let mut windows = Vec::new();
        for weekday in 1..=7 {
            let (mornings, afternoons): (Starts, Starts) = if weekday == 7 {
                (&[(8, 0), (8, 30), (9, 0), (9, 30)], &[])
            } else {
                (
                    &[(7, 30), (8, 0), (8, 30), (9, 0), (9, 30), (10, 0)],
                    &[(13, 30), (14, 0), (14, 30), (15, 0)],
                )
            };
            for (h, m) in mornings {
                windows.push(window(weekday, *h, *m, 25));
            }
            for (h, m) in afternoons {
                windows.push(window(weekday, *h, *m, 12));
            }
        }
        c.set_weekly_template(req(
            token,
            pb::SetWeeklyTemplateRequest {
                branch_id: branch.branch_id.clone(),
                windows,
            },
        ))
        .await?;
        c.generate_slots(req(
            token,
            pb::GenerateSlotsRequest {
                branch_id: branch.branch_id.clone(),
                from: Some(date(today)),
                to: Some(date(today.checked_add(jiff::Span::new().days(13))?)),
            },
        ))
        .await?;
    }
    tracing::info!(
        branches = BRANCHES.len(),
        items = ITEMS.len(),
        packages = PACKAGES.len(),
        "demo data seeded"
    );
    Ok(())
}

fn window(weekday: i32, h: i32, m: i32, capacity: u32) -> pb::TemplateWindow {
    let end = h * 60 + m + 30;
    pb::TemplateWindow {
        weekday,
        start: Some(tod(h, m)),
        end: Some(tod(end / 60, end % 60)),
        capacity,
    }
}
