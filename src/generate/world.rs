//! The fixed part of a generated lake: workspaces, teams, users, channels
//! and establishments, drawn once from the seed, and the locale data they are
//! made from (time zones, business hours, places, names).

use chrono_tz::Tz;
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// A market a workspace operates in: its time zone, business hours, places
/// and the names of its people.
pub(super) struct Locale {
    pub tz: Tz,
    pub tz_name: &'static str,
    pub brand: &'static str,
    /// The sector most of the brand's establishments are in.
    pub sector: &'static str,
    /// (city, region, country)
    pub places: &'static [(&'static str, &'static str, &'static str)],
    pub first_names: &'static [&'static str],
    pub last_names: &'static [&'static str],
    /// Opening intervals in minutes of the local day, Monday first; `None`
    /// leaves `workspaces.business_hours` NULL (the default hours).
    pub hours: Option<[&'static [(u32, u32)]; 7]>,
}

const fn hm(h: u32, m: u32) -> u32 {
    h * 60 + m
}

/// Mon–Fri 09:00–17:00: what a NULL `business_hours` means.
pub(super) const DEFAULT_HOURS: [&[(u32, u32)]; 7] = [
    &[(hm(9, 0), hm(17, 0))],
    &[(hm(9, 0), hm(17, 0))],
    &[(hm(9, 0), hm(17, 0))],
    &[(hm(9, 0), hm(17, 0))],
    &[(hm(9, 0), hm(17, 0))],
    &[],
    &[],
];

pub(super) const LOCALES: [Locale; 5] = [
    Locale {
        tz: chrono_tz::Europe::Paris,
        tz_name: "Europe/Paris",
        brand: "Maison Lumière",
        sector: "Beauty",
        places: &[
            ("Paris", "Île-de-France", "France"),
            ("Boulogne-Billancourt", "Île-de-France", "France"),
            ("Lyon", "Auvergne-Rhône-Alpes", "France"),
            ("Grenoble", "Auvergne-Rhône-Alpes", "France"),
            ("Marseille", "Provence-Alpes-Côte d'Azur", "France"),
            ("Nice", "Provence-Alpes-Côte d'Azur", "France"),
            ("Toulouse", "Occitanie", "France"),
            ("Montpellier", "Occitanie", "France"),
            ("Bordeaux", "Nouvelle-Aquitaine", "France"),
            ("Lille", "Hauts-de-France", "France"),
            ("Strasbourg", "Grand Est", "France"),
            ("Nantes", "Pays de la Loire", "France"),
            ("Rennes", "Bretagne", "France"),
            ("Bruxelles", "Bruxelles-Capitale", "Belgique"),
        ],
        first_names: &[
            "Camille", "Léa", "Manon", "Chloé", "Inès", "Julie", "Sarah", "Emma", "Lucas", "Hugo",
            "Louis", "Nathan", "Thomas", "Antoine", "Julien", "Mehdi", "Yasmine", "Nicolas",
            "Claire", "Sophie",
        ],
        last_names: &[
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Fournier",
            "Girard", "Benali", "Rousseau", "Faure",
        ],
        hours: Some([
            &[(hm(9, 0), hm(12, 30)), (hm(14, 0), hm(18, 30))],
            &[(hm(9, 0), hm(12, 30)), (hm(14, 0), hm(18, 30))],
            &[(hm(9, 0), hm(12, 30)), (hm(14, 0), hm(18, 30))],
            &[(hm(9, 0), hm(12, 30)), (hm(14, 0), hm(18, 30))],
            &[(hm(9, 0), hm(12, 30)), (hm(14, 0), hm(18, 30))],
            &[(hm(10, 0), hm(13, 0))],
            &[],
        ]),
    },
    Locale {
        tz: chrono_tz::America::Sao_Paulo,
        tz_name: "America/Sao_Paulo",
        brand: "Loja Aurora",
        sector: "Retail",
        places: &[
            ("São Paulo", "São Paulo", "Brasil"),
            ("Campinas", "São Paulo", "Brasil"),
            ("Santos", "São Paulo", "Brasil"),
            ("Rio de Janeiro", "Rio de Janeiro", "Brasil"),
            ("Niterói", "Rio de Janeiro", "Brasil"),
            ("Belo Horizonte", "Minas Gerais", "Brasil"),
            ("Curitiba", "Paraná", "Brasil"),
            ("Porto Alegre", "Rio Grande do Sul", "Brasil"),
            ("Salvador", "Bahia", "Brasil"),
            ("Recife", "Pernambuco", "Brasil"),
            ("Fortaleza", "Ceará", "Brasil"),
            ("Brasília", "Distrito Federal", "Brasil"),
        ],
        first_names: &[
            "Ana", "Beatriz", "Mariana", "Juliana", "Fernanda", "Larissa", "Camila", "Gabriela",
            "João", "Pedro", "Lucas", "Gabriel", "Rafael", "Mateus", "Thiago", "Bruno", "Felipe",
            "Letícia", "Rodrigo", "Vitória",
        ],
        last_names: &[
            "Silva",
            "Santos",
            "Oliveira",
            "Souza",
            "Rodrigues",
            "Ferreira",
            "Alves",
            "Pereira",
            "Lima",
            "Gomes",
            "Costa",
            "Ribeiro",
            "Martins",
            "Carvalho",
            "Almeida",
            "Lopes",
            "Soares",
            "Fernandes",
            "Vieira",
            "Barbosa",
        ],
        hours: Some([
            &[(hm(8, 0), hm(18, 0))],
            &[(hm(8, 0), hm(18, 0))],
            &[(hm(8, 0), hm(18, 0))],
            &[(hm(8, 0), hm(18, 0))],
            &[(hm(8, 0), hm(18, 0))],
            &[(hm(8, 0), hm(12, 0))],
            &[],
        ]),
    },
    Locale {
        tz: chrono_tz::Asia::Singapore,
        tz_name: "Asia/Singapore",
        brand: "Lion City Motors",
        sector: "Automotive",
        places: &[
            ("Orchard", "Central Region", "Singapore"),
            ("Bukit Merah", "Central Region", "Singapore"),
            ("Tampines", "East Region", "Singapore"),
            ("Bedok", "East Region", "Singapore"),
            ("Jurong East", "West Region", "Singapore"),
            ("Woodlands", "North Region", "Singapore"),
            ("Punggol", "North-East Region", "Singapore"),
            ("Kuala Lumpur", "Wilayah Persekutuan", "Malaysia"),
            ("Johor Bahru", "Johor", "Malaysia"),
            ("George Town", "Penang", "Malaysia"),
        ],
        first_names: &[
            "Wei Ling",
            "Jun Jie",
            "Hui Min",
            "Kai Wen",
            "Siti",
            "Nur Aisyah",
            "Muhammad",
            "Arjun",
            "Priya",
            "Daniel",
            "Rachel",
            "Marcus",
            "Jia Hui",
            "Zhi Hao",
            "Farah",
            "Ethan",
            "Chloe",
            "Ravi",
        ],
        last_names: &[
            "Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua", "Chan", "Koh", "Teo",
            "Rahman", "Ismail", "Kumar", "Nair", "Pillai", "Chong", "Yeo",
        ],
        hours: None,
    },
    Locale {
        tz: chrono_tz::America::New_York,
        tz_name: "America/New_York",
        brand: "Hudson & Pine",
        sector: "Restaurant",
        places: &[
            ("New York", "New York", "United States"),
            ("Brooklyn", "New York", "United States"),
            ("Buffalo", "New York", "United States"),
            ("Boston", "Massachusetts", "United States"),
            ("Philadelphia", "Pennsylvania", "United States"),
            ("Newark", "New Jersey", "United States"),
            ("Baltimore", "Maryland", "United States"),
            ("Washington", "District of Columbia", "United States"),
            ("Atlanta", "Georgia", "United States"),
            ("Miami", "Florida", "United States"),
            ("Orlando", "Florida", "United States"),
            ("Toronto", "Ontario", "Canada"),
        ],
        first_names: &[
            "Emily",
            "Olivia",
            "Madison",
            "Ashley",
            "Jessica",
            "Sophia",
            "Ava",
            "Michael",
            "James",
            "David",
            "Christopher",
            "Ryan",
            "Tyler",
            "Brandon",
            "Kevin",
            "Jasmine",
            "Carlos",
            "Aaliyah",
            "Noah",
            "Grace",
        ],
        last_names: &[
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Anderson", "Taylor", "Moore", "Jackson", "White", "Harris", "Clark", "Lewis",
            "Rivera", "Walker", "Young", "Kim",
        ],
        hours: Some([
            &[(hm(8, 30), hm(20, 0))],
            &[(hm(8, 30), hm(20, 0))],
            &[(hm(8, 30), hm(20, 0))],
            &[(hm(8, 30), hm(20, 0))],
            &[(hm(8, 30), hm(20, 0))],
            &[(hm(10, 0), hm(16, 0))],
            &[(hm(12, 0), hm(16, 0))],
        ]),
    },
    Locale {
        tz: chrono_tz::Europe::Madrid,
        tz_name: "Europe/Madrid",
        brand: "Grupo Olivar",
        sector: "Hospitality",
        places: &[
            ("Madrid", "Comunidad de Madrid", "España"),
            ("Alcalá de Henares", "Comunidad de Madrid", "España"),
            ("Barcelona", "Cataluña", "España"),
            ("Girona", "Cataluña", "España"),
            ("Valencia", "Comunidad Valenciana", "España"),
            ("Alicante", "Comunidad Valenciana", "España"),
            ("Sevilla", "Andalucía", "España"),
            ("Málaga", "Andalucía", "España"),
            ("Bilbao", "País Vasco", "España"),
            ("Zaragoza", "Aragón", "España"),
            ("Palma", "Islas Baleares", "España"),
            ("Lisboa", "Lisboa", "Portugal"),
        ],
        first_names: &[
            "Lucía",
            "María",
            "Paula",
            "Carmen",
            "Laura",
            "Marta",
            "Alba",
            "Sofía",
            "Hugo",
            "Pablo",
            "Javier",
            "Alejandro",
            "Daniel",
            "Sergio",
            "Álvaro",
            "Jorge",
            "Nerea",
            "Iker",
            "Elena",
            "Raúl",
        ],
        last_names: &[
            "García",
            "Rodríguez",
            "González",
            "Fernández",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
            "Gómez",
            "Martín",
            "Jiménez",
            "Ruiz",
            "Hernández",
            "Díaz",
            "Moreno",
            "Álvarez",
            "Romero",
            "Navarro",
            "Torres",
            "Iglesias",
        ],
        hours: Some([
            &[(hm(9, 0), hm(14, 0)), (hm(16, 0), hm(19, 0))],
            &[(hm(9, 0), hm(14, 0)), (hm(16, 0), hm(19, 0))],
            &[(hm(9, 0), hm(14, 0)), (hm(16, 0), hm(19, 0))],
            &[(hm(9, 0), hm(14, 0)), (hm(16, 0), hm(19, 0))],
            &[(hm(8, 0), hm(15, 0))],
            &[],
            &[],
        ]),
    },
];

const SECTORS: [&str; 8] = [
    "Retail",
    "Restaurant",
    "Automotive",
    "Beauty",
    "Health",
    "Real estate",
    "Hospitality",
    "Services",
];

/// (channel_type, platform, display name, relative traffic, has a chatbot)
const CHANNEL_KINDS: [(&str, &str, &str, f64, bool); 11] = [
    ("whatsapp", "meta", "WhatsApp Business", 5.0, true),
    ("webchat", "web", "Website chat", 3.0, true),
    ("email", "email", "Support e-mail", 1.5, false),
    ("messenger", "meta", "Facebook Messenger", 2.5, true),
    ("instagram", "meta", "Instagram DM", 2.0, false),
    ("sms", "telecom", "SMS", 1.0, false),
    ("telegram", "telegram", "Telegram", 0.8, true),
    ("line", "line", "LINE", 0.5, false),
    ("viber", "viber", "Viber", 0.5, false),
    ("gbm", "google", "Google Business Messages", 0.4, true),
    ("custom", "custom", "Custom channel (app)", 0.3, false),
];

const EXTRA_TEAMS: [&str; 5] = ["Onboarding", "Returns", "VIP", "Technical", "Partners"];

pub(super) struct Workspace {
    pub id: String,
    pub name: String,
    pub locale: &'static Locale,
    /// Effective opening hours (the default ones when `business_hours` is NULL).
    pub hours: [&'static [(u32, u32)]; 7],
    /// `workspaces.business_hours`.
    pub hours_json: Option<String>,
    /// Relative traffic.
    pub weight: f64,
    pub users: Vec<usize>,
    pub user_cum: Vec<f64>,
    pub channels: Vec<usize>,
    pub channel_cum: Vec<f64>,
    pub establishments: Vec<usize>,
    pub establishment_cum: Vec<f64>,
}

pub(super) struct Team {
    pub id: String,
    pub ws: usize,
    pub name: &'static str,
}

pub(super) struct User {
    pub id: String,
    pub ws: usize,
    pub name: String,
    pub team: usize,
}

pub(super) struct Channel {
    pub id: String,
    pub ws: usize,
    pub name: String,
    pub channel_type: &'static str,
    pub platform: &'static str,
    pub bot: bool,
}

pub(super) struct Establishment {
    pub id: String,
    pub ws: usize,
    pub name: String,
    pub region: &'static str,
    pub sector: &'static str,
    pub country: &'static str,
}

/// Every dimension but contacts (which are made as conversations need them).
pub(super) struct World {
    pub workspaces: Vec<Workspace>,
    pub teams: Vec<Team>,
    pub users: Vec<User>,
    pub channels: Vec<Channel>,
    pub establishments: Vec<Establishment>,
    /// Digits of the workspace number in ids (`ws01`, `ct01…`).
    pub ws_width: usize,
}

/// Cumulative sums of `weights`, for [`pick`].
pub(super) fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut sum = 0.0;
    weights
        .into_iter()
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

/// The index `u` (in [0, 1)) falls on in cumulative weights `cum`.
pub(super) fn pick(cum: &[f64], u: f64) -> usize {
    let total = cum.last().copied().unwrap_or(0.0);
    cum.partition_point(|&c| c <= u * total)
        .min(cum.len().saturating_sub(1))
}

fn hours_json(hours: &[&[(u32, u32)]; 7]) -> String {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let mut s = String::from("{");
    for (i, (day, intervals)) in DAYS.iter().zip(hours).enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!("\"{day}\":["));
        for (j, (from, to)) in intervals.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            s.push_str(&format!(
                "[\"{:02}:{:02}\",\"{:02}:{:02}\"]",
                from / 60,
                from % 60,
                to / 60,
                to % 60
            ));
        }
        s.push(']');
    }
    s.push('}');
    s
}

impl World {
    pub fn build(rng: &mut ChaCha8Rng, workspaces: usize) -> World {
        let ws_width = workspaces.to_string().len().max(2);
        let mut world = World {
            workspaces: Vec::with_capacity(workspaces),
            teams: Vec::new(),
            users: Vec::new(),
            channels: Vec::new(),
            establishments: Vec::new(),
            ws_width,
        };
        for w in 0..workspaces {
            let locale = &LOCALES[w % LOCALES.len()];
            let round = w / LOCALES.len();
            let name = if round == 0 {
                locale.brand.to_string()
            } else {
                format!("{} {}", locale.brand, round + 1)
            };
            // At least one workspace keeps the default (NULL) business hours.
            let hours = if workspaces < 3 && w + 1 == workspaces {
                None
            } else {
                locale.hours
            };
            let mut ws = Workspace {
                id: format!("ws{:0ws_width$}", w + 1),
                name,
                locale,
                hours: hours.unwrap_or(DEFAULT_HOURS),
                hours_json: hours.as_ref().map(hours_json),
                weight: rng.random_range(0.4..2.0),
                users: Vec::new(),
                user_cum: Vec::new(),
                channels: Vec::new(),
                channel_cum: Vec::new(),
                establishments: Vec::new(),
                establishment_cum: Vec::new(),
            };

            // Teams: the three every workspace has, and up to two more.
            let first_team = world.teams.len();
            let mut extra: Vec<&str> = EXTRA_TEAMS.to_vec();
            extra.shuffle(rng);
            let extras = rng.random_range(0..=2);
            for name in ["Support", "Sales", "Billing"]
                .into_iter()
                .chain(extra.into_iter().take(extras))
            {
                world.teams.push(Team {
                    id: format!("tm{:04}", world.teams.len() + 1),
                    ws: w,
                    name,
                });
            }
            let team_count = world.teams.len() - first_team;

            // Users: 8–15 agents; Support is the biggest team.
            let users = rng.random_range(8..=15);
            let mut weights = Vec::with_capacity(users);
            for u in 0..users {
                let team = if u < team_count {
                    u
                } else if rng.random_bool(0.5) {
                    0
                } else {
                    rng.random_range(0..team_count)
                };
                let first = locale.first_names[rng.random_range(0..locale.first_names.len())];
                let last = locale.last_names[rng.random_range(0..locale.last_names.len())];
                ws.users.push(world.users.len());
                world.users.push(User {
                    id: format!("us{:05}", world.users.len() + 1),
                    ws: w,
                    name: format!("{first} {last}"),
                    team: first_team + team,
                });
                // Some agents carry much more of the load than others.
                weights.push(rng.random_range(0.3..2.0));
            }
            ws.user_cum = cumulative(weights);

            // Channels: WhatsApp, web chat and e-mail everywhere, 1–5 others.
            let mut kinds: Vec<usize> = (3..CHANNEL_KINDS.len()).collect();
            kinds.shuffle(rng);
            let extras = rng.random_range(1..=5);
            let mut chosen: Vec<usize> = vec![0, 1, 2];
            chosen.extend(kinds.into_iter().take(extras));
            chosen.sort_unstable();
            let mut weights = Vec::with_capacity(chosen.len());
            for k in chosen {
                let (channel_type, platform, label, weight, bot) = CHANNEL_KINDS[k];
                ws.channels.push(world.channels.len());
                world.channels.push(Channel {
                    id: format!("ch{:04}", world.channels.len() + 1),
                    ws: w,
                    name: format!("{label} – {}", ws.name),
                    channel_type,
                    platform,
                    bot,
                });
                weights.push(weight * rng.random_range(0.6..1.4));
            }
            ws.channel_cum = cumulative(weights);

            // Establishments: 5–20 points of sale, a few big ones.
            let count = rng.random_range(5..=20);
            let mut seen: Vec<(&str, u32)> = Vec::new();
            let mut weights = Vec::with_capacity(count);
            for e in 0..count {
                let (city, region, country) =
                    locale.places[rng.random_range(0..locale.places.len())];
                let n = match seen.iter_mut().find(|(c, _)| *c == city) {
                    Some((_, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        seen.push((city, 1));
                        1
                    }
                };
                let name = if n == 1 {
                    format!("{} {city}", locale.brand)
                } else {
                    format!("{} {city} {n}", locale.brand)
                };
                let sector = if rng.random_bool(0.6) {
                    locale.sector
                } else {
                    SECTORS[rng.random_range(0..SECTORS.len())]
                };
                ws.establishments.push(world.establishments.len());
                world.establishments.push(Establishment {
                    id: format!("es{:05}", world.establishments.len() + 1),
                    ws: w,
                    name,
                    region,
                    sector,
                    country,
                });
                weights.push(rng.random_range(0.5..1.5) / (e as f64 + 1.0).sqrt());
            }
            ws.establishment_cum = cumulative(weights);
            world.workspaces.push(ws);
        }
        world
    }

    /// A user of workspace `ws`, busy agents more often.
    pub fn pick_user(&self, ws: usize, u: f64) -> usize {
        let w = &self.workspaces[ws];
        w.users[pick(&w.user_cum, u)]
    }

    pub fn team_of(&self, user: usize) -> usize {
        self.users[user].team
    }
}
