// Strings in Dutch (the default) and English, and number formatting for the chosen language.
// Labels of stages, partner types and region sets come from the API (/v1/stages, ...), not from here.

const STRINGS = {
  nl: {
    appTitle: 'Trechter — dashboard',
    appSubtitle: 'Seksueel geweld tegen kinderen: de trechter per gemeente en regio',
    skip: 'Naar de inhoud',
    language: 'Taal',
    switchLang: 'English',
    switchLangLabel: 'Switch to English',
    large: 'Groot beeld',
    largeLabel: 'Grotere letters en lijnen, voor een beamer',
    signInTitle: 'Aanmelden',
    signInIntro: 'Meld u aan met uw toegangstoken. Het token blijft alleen in dit tabblad bewaard (sessionStorage) en verdwijnt als u het tabblad sluit.',
    tokenLabel: 'Toegangstoken',
    signIn: 'Aanmelden',
    signOut: 'Afmelden',
    signedInAs: 'Aangemeld als',
    role: 'Rol',
    roles: { rapporteur: 'Rapporteur', analyst: 'Analist', municipality: 'Gemeente' },
    protectedYes: 'Beschermde cijfers',
    protectedYesHelp: 'U ziet cijfers van anderen beschermd (cell-key-verstoring): kleine aantallen zijn afgerond en verschoven, percentages onder de drempel worden niet getoond.',
    protectedNo: 'Ruwe cijfers',
    protectedNoHelp: 'U ziet alle cijfers onbewerkt.',
    badToken: 'Dit token wordt niet geaccepteerd (ongeldig, verlopen of ingetrokken).',
    networkError: 'De server is niet bereikbaar.',
    loading: 'Laden…',
    views: { funnel: 'Trechter', compare: 'Vergelijken', trends: 'Verloop', map: 'Kaart', networks: 'Netwerken', completeness: 'Volledigheid' },
    viewsNav: 'Weergaven',
    period: 'Periode',
    from: 'Van',
    to: 'Tot en met',
    regionSet: 'Indeling',
    region: 'Regio',
    regions: 'Regio’s',
    regionsHelp: 'Kies er tot zes (Ctrl/⌘ + klik, of Shift + pijltjes).',
    allRegions: 'Alle regio’s',
    highlight: 'Markeer regio',
    none: '(geen)',
    stage: 'Fase',
    metric: 'Maat',
    metrics: { count: 'Aantal', per10k: 'Per 10.000 kinderen', fromPrevious: 'Doorstroom uit vorige fase' },
    level: 'Kaartlaag',
    csv: 'CSV downloaden',
    csvExcel: 'CSV voor Excel (;)',
    csvHelp: 'Precies de tabel die hieronder staat.',
    table: 'Tabel',
    chartTable: 'Tabel bij de grafiek',
    states: { published: 'gepubliceerd', notKnown: 'niet bekend', notSubmitted: 'niet ingediend', withheld: 'achtergehouden (bescherming)', noPopulation: 'geen bevolkingscijfer' },
    noValue: 'geen waarde',
    national: 'Nederland',
    nationalLine: 'Landelijke waarde',
    protectedNote: 'Beschermde cijfers: verstoord volgens de cell-key-methode; percentages onder de drempel achtergehouden.',
    rawNote: 'Ruwe cijfers.',
    coverage: 'Dekking',
    coverageText: (a, b) => `${a} van ${b} gemeenten leverden cijfers`,
    // funnel
    funnelTitle: 'De trechter',
    funnelIntro: 'Hoeveel kinderen elke fase bereiken, en welk deel doorstroomt naar de volgende fase.',
    conversion: 'doorstroom',
    count: 'Aantal',
    per10k: 'Per 10.000 kinderen',
    fromPrevious: 'Doorstroom',
    childPopulation: 'Kinderen 0–17 jaar',
    nationalTick: 'landelijk',
    // compare
    compareTitle: 'Regio’s vergelijken',
    compareIntro: 'Regio’s gerangschikt op één fase en maat; de stippellijn is de landelijke waarde. Regio’s zonder waarde staan onderaan.',
    rank: 'Rang',
    value: 'Waarde',
    ratio: 'T.o.v. landelijk',
    zScore: 'z-score',
    quartile: 'Kwartiel',
    state: 'Status',
    // trends
    trendsTitle: 'Verloop per kwartaal',
    trendsIntro: 'Eén fase over de kwartalen, voor gekozen regio’s; de grijze stippellijn is Nederland.',
    quarter: 'Kwartaal',
    tooMany: 'Maximaal zes regio’s tegelijk; de eerste zes worden getoond.',
    // map
    mapTitle: 'Kaart',
    mapIntro: 'Gemeenten of veiligheidsregio’s gekleurd naar het aantal per 10.000 kinderen in één fase. Klik of druk Enter op een gebied voor zijn trechter.',
    mapLevels: { municipality: 'Gemeenten', safetyRegion: 'Veiligheidsregio’s' },
    legend: 'Legenda',
    mapHint: 'Wijs een gebied aan of ga er met Tab naartoe voor details.',
    attribution: 'Kaart: CBS Gebiedsindelingen 2023 via PDOK (CC BY 4.0); TopoJSON uit het coronadashboard van het ministerie van VWS (minvws/nl-covid19-data-dashboard, EUPL-1.2).',
    // networks
    networksTitle: 'Regionale netwerken',
    networksIntro: 'Per regio het aandeel gemeenten dat elke stap van de regionale aanpak heeft gezet, en hoe ver elk type partner is aangesloten.',
    networksUnavailable: 'Netwerkcijfers zijn (nog) niet beschikbaar op deze server.',
    stepsHeatmap: 'Acht stappen van de regionale aanpak (aandeel gemeenten dat de stap zette)',
    partnersTitle: 'Partners per type',
    partnersFor: 'Partners in',
    reporting: 'Leverden',
    expected: 'Verwacht',
    steps: {
      socialMap: 'Sociale kaart actueel', partnerMeeting: 'Partner\u00adbijeenkomst', coordinator: 'Kartrekker',
      training: 'Deskundigheids\u00adbevordering', networkMeetings: 'Netwerk\u00adbijeenkomsten', newsletter: 'Nieuwsbrief',
      alderman: 'Wethouder betrokken', annualReportPlan: 'Jaarverslag en -plan',
    },
    partnerStatus: { committed: 'Convenant getekend', engaged: 'Neemt deel', mapped: 'Op de sociale kaart', absent: 'Ontbreekt', notKnown: 'Niet bekend' },
    met: 'gezet',
    noReports: 'geen opgave',
    // completeness
    completenessTitle: 'Volledigheid',
    completenessIntro: 'Welke gemeenten voor dit kwartaal nog geen cijfers hebben aangeleverd.',
    funnels: 'Trechters',
    networks: 'Netwerken',
    missingFunnels: 'Geen trechter',
    missingNetworks: 'Geen netwerk',
    rate: 'Aangeleverd',
    allIn: 'Alle gemeenten hebben hun trechter aangeleverd.',
    missingSummary: (n, m, p) => `${n} van ${m} gemeenten hebben voor ${p} nog geen trechter aangeleverd.`,
    // errors
    failed: 'Ophalen mislukt',
    empty: 'Geen gegevens voor deze keuze.',
    footer: 'Trechter — gegevens van gemeenten voor de Nationaal Rapporteur. Alle verzoeken gaan alleen naar deze server.',
  },
  en: {
    appTitle: 'Trechter — dashboard',
    appSubtitle: 'Child sexual abuse: the funnel per municipality and region',
    skip: 'Skip to content',
    language: 'Language',
    switchLang: 'Nederlands',
    switchLangLabel: 'Schakel naar Nederlands',
    large: 'Large view',
    largeLabel: 'Larger text and lines, for a projector',
    signInTitle: 'Sign in',
    signInIntro: 'Sign in with your access token. The token is kept only in this browser tab (sessionStorage) and is gone when you close the tab.',
    tokenLabel: 'Access token',
    signIn: 'Sign in',
    signOut: 'Sign out',
    signedInAs: 'Signed in as',
    role: 'Role',
    roles: { rapporteur: 'Rapporteur', analyst: 'Analyst', municipality: 'Municipality' },
    protectedYes: 'Protected figures',
    protectedYesHelp: 'You see other parties’ figures protected (cell-key perturbation): small counts are rounded and shifted, rates below the threshold are not shown.',
    protectedNo: 'Raw figures',
    protectedNoHelp: 'You see every figure unaltered.',
    badToken: 'This token is not accepted (invalid, expired or revoked).',
    networkError: 'The server cannot be reached.',
    loading: 'Loading…',
    views: { funnel: 'Funnel', compare: 'Compare', trends: 'Trends', map: 'Map', networks: 'Networks', completeness: 'Completeness' },
    viewsNav: 'Views',
    period: 'Period',
    from: 'From',
    to: 'To',
    regionSet: 'Classification',
    region: 'Region',
    regions: 'Regions',
    regionsHelp: 'Choose up to six (Ctrl/⌘ + click, or Shift + arrows).',
    allRegions: 'All regions',
    highlight: 'Highlight region',
    none: '(none)',
    stage: 'Stage',
    metric: 'Measure',
    metrics: { count: 'Count', per10k: 'Per 10,000 children', fromPrevious: 'Conversion from previous stage' },
    level: 'Map layer',
    csv: 'Download CSV',
    csvExcel: 'CSV for Excel (;)',
    csvHelp: 'Exactly the table below.',
    table: 'Table',
    chartTable: 'Table for the chart',
    states: { published: 'published', notKnown: 'not known', notSubmitted: 'not submitted', withheld: 'withheld (protection)', noPopulation: 'no population figure' },
    noValue: 'no value',
    national: 'The Netherlands',
    nationalLine: 'National value',
    protectedNote: 'Protected figures: perturbed by the cell-key method; rates below the threshold withheld.',
    rawNote: 'Raw figures.',
    coverage: 'Coverage',
    coverageText: (a, b) => `${a} of ${b} municipalities reported`,
    funnelTitle: 'The funnel',
    funnelIntro: 'How many children reach each stage, and what share moves on to the next.',
    conversion: 'conversion',
    count: 'Count',
    per10k: 'Per 10,000 children',
    fromPrevious: 'Conversion',
    childPopulation: 'Children aged 0–17',
    nationalTick: 'national',
    compareTitle: 'Compare regions',
    compareIntro: 'Regions ranked on one stage and measure; the dashed line is the national value. Regions without a value are listed at the bottom.',
    rank: 'Rank',
    value: 'Value',
    ratio: 'Ratio to national',
    zScore: 'z-score',
    quartile: 'Quartile',
    state: 'State',
    trendsTitle: 'Trends by quarter',
    trendsIntro: 'One stage over the quarters for chosen regions; the grey dashed line is the Netherlands.',
    quarter: 'Quarter',
    tooMany: 'At most six regions at once; the first six are shown.',
    mapTitle: 'Map',
    mapIntro: 'Municipalities or safety regions coloured by the count per 10,000 children in one stage. Click an area, or press Enter on it, for its funnel.',
    mapLevels: { municipality: 'Municipalities', safetyRegion: 'Safety regions' },
    legend: 'Legend',
    mapHint: 'Point at an area, or Tab to it, for details.',
    attribution: 'Map: CBS Gebiedsindelingen 2023 via PDOK (CC BY 4.0); TopoJSON from the Dutch Ministry of Health’s coronadashboard (minvws/nl-covid19-data-dashboard, EUPL-1.2).',
    networksTitle: 'Regional networks',
    networksIntro: 'Per region the share of municipalities that took each step of the regional approach, and how far each type of partner has joined.',
    networksUnavailable: 'Network figures are not (yet) available on this server.',
    stepsHeatmap: 'Eight steps of the regional approach (share of municipalities that took the step)',
    partnersTitle: 'Partners by type',
    partnersFor: 'Partners in',
    reporting: 'Reported',
    expected: 'Expected',
    steps: {
      socialMap: 'Social map up to date', partnerMeeting: 'Partner meeting', coordinator: 'Coordinator',
      training: 'Expertise training', networkMeetings: 'Network meetings', newsletter: 'Newsletter',
      alderman: 'Alderman involved', annualReportPlan: 'Annual report and plan',
    },
    partnerStatus: { committed: 'Signed the agreement', engaged: 'Takes part', mapped: 'On the social map', absent: 'Absent', notKnown: 'Not known' },
    met: 'met',
    noReports: 'nothing reported',
    completenessTitle: 'Completeness',
    completenessIntro: 'Which municipalities have not yet submitted figures for this quarter.',
    funnels: 'Funnels',
    networks: 'Networks',
    missingFunnels: 'No funnel',
    missingNetworks: 'No network',
    rate: 'Submitted',
    allIn: 'Every municipality has submitted its funnel.',
    missingSummary: (n, m, p) => `${n} of ${m} municipalities have not submitted a funnel for ${p} yet.`,
    failed: 'Could not fetch',
    empty: 'No data for this choice.',
    footer: 'Trechter — figures from municipalities for the National Rapporteur. Every request goes to this server only.',
  },
};

let lang = (() => {
  try { return localStorage.getItem('trechter.lang') === 'en' ? 'en' : 'nl'; } catch { return 'nl'; }
})();

export function getLang() { return lang; }

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'nl';
  try { localStorage.setItem('trechter.lang', lang); } catch { /* private mode */ }
  document.documentElement.lang = lang;
}

/** The string at a dotted key ("views.funnel") in the current language. */
export function t(key) {
  let v = STRINGS[lang];
  for (const part of key.split('.')) v = v == null ? undefined : v[part];
  if (v === undefined) {
    let fallback = STRINGS.nl;
    for (const part of key.split('.')) fallback = fallback == null ? undefined : fallback[part];
    return fallback === undefined ? key : fallback;
  }
  return v;
}

/** A {nl, en} label object from the API in the current language. */
export function label(obj, fallback) {
  if (!obj) return fallback || '';
  if (typeof obj === 'string') return obj;
  return obj[lang] || obj.nl || fallback || '';
}

const locale = () => (lang === 'en' ? 'en-GB' : 'nl-NL');

export function fmtInt(n) {
  return n == null ? '–' : new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(n);
}

export function fmtDec(n, digits = 1) {
  return n == null ? '–' : new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}

export function fmtPct(f) {
  return f == null ? '–' : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(f);
}

/** A value of a metric, formatted: counts whole, per10k one decimal, conversions as a percentage. */
export function fmtMetric(metric, v) {
  if (metric === 'per10k') return fmtDec(v, 1);
  if (metric === 'fromPrevious') return fmtPct(v);
  return fmtInt(v);
}
