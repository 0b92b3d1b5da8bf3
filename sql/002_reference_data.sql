-- compatible-from: 1
-- Reference data of the funnel and the partner network (design §1.1 - §1.5), in Dutch and English.
-- Adding a category or a partner type is a new migration, never a change of C code.

INSERT INTO stages (key, position, label_nl, label_en, definition_nl, definition_en) VALUES
('occurred', 1, 'Gebeurd', 'Occurred',
 'Kinderen bij wie seksueel geweld heeft plaatsgevonden in de periode, ongeacht of iemand het weet. Meestal een schatting; vaak niet opgegeven.',
 'Children who experienced sexual violence in the period, whether or not anyone knows. Usually an estimate; often left out.'),
('disclosed', 2, 'Verteld', 'Disclosed',
 'Kinderen die zelf aan iemand (ouder, vriend, leerkracht, hulpverlener) hebben verteld wat hun is overkomen.',
 'Children who told someone (a parent, friend, teacher or professional) what happened to them.'),
('signalled', 3, 'Gesignaleerd', 'Signalled',
 'Kinderen bij wie een professional (onderwijs, zorg, jeugdhulp, huisarts) signalen van seksueel geweld heeft opgemerkt.',
 'Children in whom a professional (education, health care, youth care, GP) noticed signs of sexual violence.'),
('reported', 4, 'Gemeld', 'Reported',
 'Kinderen over wie een melding is gedaan bij Veilig Thuis of aangifte of melding bij de politie.',
 'Children about whom a report was made to Veilig Thuis or to the police.'),
('investigated', 5, 'Onderzocht', 'Investigated',
 'Kinderen bij wie na een melding onderzoek is gedaan door Veilig Thuis, de politie of de Raad voor de Kinderbescherming.',
 'Children whose case was investigated after a report, by Veilig Thuis, the police or the Child Protection Board.'),
('helped', 6, 'Geholpen', 'Helped',
 'Kinderen die passende hulp of behandeling hebben gekregen voor de gevolgen van het seksueel geweld.',
 'Children who received suitable help or treatment for the consequences of the sexual violence.');

INSERT INTO dimensions (key, position, label_nl, label_en, definition_nl, definition_en) VALUES
('gender', 1, 'Gender', 'Gender',
 'Gender van het kind zoals bekend bij de melder of hulpverlener.',
 'The child''s gender as known to the reporting organisation or professional.'),
('ageBand', 2, 'Leeftijdsgroep', 'Age band',
 'Leeftijd van het kind in hele jaren bij het begin van het seksueel geweld, of anders bij de eerste registratie.',
 'The child''s age in whole years when the sexual violence began, or otherwise at first registration.'),
('offence', 3, 'Soort geweld', 'Type of offence',
 'Seksueel geweld met lichamelijk contact (hands-on) of zonder lichamelijk contact (hands-off, waaronder online).',
 'Sexual violence with physical contact (hands-on) or without physical contact (hands-off, online abuse included).'),
('disability', 4, 'Beperking', 'Disability',
 'Of het kind een lichamelijke, verstandelijke of psychische beperking heeft.',
 'Whether the child has a physical, intellectual or psychological disability.'),
('care', 5, 'Soort hulp', 'Type of care',
 'De vorm van de hulp die het kind kreeg: ambulant, residentieel (verblijf) of gesloten jeugdzorg.',
 'The form of help the child received: ambulatory, residential or secure youth care.');

INSERT INTO categories (dimension, key, position, label_nl, label_en) VALUES
('gender', 'girl', 1, 'Meisje', 'Girl'),
('gender', 'boy', 2, 'Jongen', 'Boy'),
('gender', 'other', 3, 'Anders', 'Other'),
('gender', 'unknown', 4, 'Onbekend', 'Unknown'),
('ageBand', '0-5', 1, '0 tot en met 5 jaar', '0 to 5 years'),
('ageBand', '6-11', 2, '6 tot en met 11 jaar', '6 to 11 years'),
('ageBand', '12-15', 3, '12 tot en met 15 jaar', '12 to 15 years'),
('ageBand', '16-17', 4, '16 en 17 jaar', '16 and 17 years'),
('ageBand', 'unknown', 5, 'Onbekend', 'Unknown'),
('offence', 'handsOn', 1, 'Met lichamelijk contact (hands-on)', 'With physical contact (hands-on)'),
('offence', 'handsOff', 2, 'Zonder lichamelijk contact, ook online (hands-off)', 'Without physical contact, online included (hands-off)'),
('offence', 'unknown', 3, 'Onbekend', 'Unknown'),
('disability', 'yes', 1, 'Met beperking', 'With a disability'),
('disability', 'no', 2, 'Zonder beperking', 'Without a disability'),
('disability', 'unknown', 3, 'Onbekend', 'Unknown'),
('care', 'ambulatory', 1, 'Ambulante hulp', 'Ambulatory care'),
('care', 'residential', 2, 'Residentiële hulp (verblijf)', 'Residential care'),
('care', 'secure', 3, 'Gesloten jeugdzorg', 'Secure youth care'),
('care', 'unknown', 4, 'Onbekend', 'Unknown');

-- Every stage accepts the four personal breakdowns; the type of care only applies to help given.
INSERT INTO stage_dimensions (stage, dimension)
SELECT s.key, d.key
  FROM stages s CROSS JOIN dimensions d
 WHERE d.key <> 'care' OR s.key = 'helped';

INSERT INTO partner_types (key, position, label_nl, label_en) VALUES
('womensShelter', 1, 'Vrouwenopvang', 'Women''s shelter'),
('mentalHealth', 2, 'GGZ', 'Mental health care'),
('youthCare', 3, 'Jeugdzorg en jeugdbescherming', 'Youth care and child protection'),
('policeVice', 4, 'Politie zeden', 'Police vice unit'),
('neighbourhoodTeam', 5, 'Wijkteam', 'Neighbourhood team'),
('socialWork', 6, 'Maatschappelijk werk', 'Social work'),
('gpOutOfHours', 7, 'Huisartsenpost', 'GP out-of-hours service'),
('youthFamilyCentre', 8, 'Centrum voor Jeugd en Gezin (CJG)', 'Youth and family centre (CJG)'),
('parentingSupport', 9, 'Jeugd- en opvoedhulp', 'Youth and parenting support'),
('sexualAssaultCentre', 10, 'Centrum Seksueel Geweld', 'Sexual assault centre'),
('emancipationExpertise', 11, 'Kenniscentrum Emancipatie', 'Emancipation expertise centre'),
('forensicPhysician', 12, 'Forensisch arts', 'Forensic physician'),
('sexualityExpertise', 13, 'Expertisecentrum seksualiteit', 'Sexuality expertise centre'),
('exploitationExpertise', 14, 'Expertise loverboys, mensenhandel en eergerelateerd geweld', 'Expertise on grooming for exploitation, human trafficking and honour-based violence'),
('psychiatryAddiction', 15, 'Psychiatrie en verslavingszorg', 'Psychiatry and addiction care'),
('disabilityCare', 16, 'Gehandicaptenzorg', 'Disability care'),
('publicProsecution', 17, 'Openbaar Ministerie', 'Public Prosecution Service'),
('childProtectionBoard', 18, 'Raad voor de Kinderbescherming', 'Child Protection Board'),
('offenderCare', 19, 'Plegerzorg en reclassering', 'Offender care and probation'),
('veiligThuis', 20, 'Veilig Thuis', 'Veilig Thuis (domestic violence and child abuse advice and reporting centre)'),
('stiClinic', 21, 'Soa-polikliniek', 'STI clinic');

INSERT INTO partner_statuses (key, rank, label_nl, label_en, definition_nl, definition_en) VALUES
('absent', 0, 'Afwezig', 'Absent',
 'De partner staat niet op de sociale kaart en er is geen contact.',
 'The partner is not on the social map and there is no contact.'),
('mapped', 1, 'In beeld', 'Mapped',
 'De partner staat op de sociale kaart; een contactpunt is bekend.',
 'The partner is on the social map; a point of contact is known.'),
('engaged', 2, 'Betrokken', 'Engaged',
 'De partner neemt deel aan de netwerkbijeenkomsten.',
 'The partner takes part in the network meetings.'),
('committed', 3, 'Verbonden', 'Committed',
 'De partner heeft de netwerkafspraken (het convenant) ondertekend.',
 'The partner has signed the network agreement.');

INSERT INTO approach_steps (key, position, label_nl, label_en, definition_nl, definition_en) VALUES
('socialMap', 1, 'Sociale kaart actueel', 'Social map up to date',
 'De sociale kaart is in de twaalf maanden voor het einde van de periode bijgewerkt.',
 'The social map was updated within the twelve months before the end of the period.'),
('partnerMeeting', 2, 'Partnerbijeenkomst georganiseerd', 'Partner meeting organised',
 'Er is een bijeenkomst met alle ketenpartners georganiseerd.',
 'A meeting of all partners in the chain has been organised.'),
('coordinator', 3, 'Kartrekker aangesteld', 'Coordinator appointed',
 'Er is een kartrekker (coördinator) aangesteld die het netwerk trekt.',
 'A coordinator (kartrekker) has been appointed to lead the network.'),
('training', 4, 'Deskundigheidsbevordering', 'Expertise training',
 'In het jaar van de periode is ten minste één training voor professionals gegeven.',
 'At least one training for professionals was held in the calendar year of the period.'),
('networkMeetings', 5, 'Netwerkbijeenkomsten', 'Network meetings',
 'In het jaar van de periode zijn ten minste twee netwerkbijeenkomsten gehouden (streven: twee à drie per jaar).',
 'At least two network meetings were held in the calendar year of the period (aim: two to three a year).'),
('newsletter', 6, 'Nieuwsbrief', 'Newsletter',
 'In het jaar van de periode is ten minste één nieuwsbrief voor het netwerk verschenen.',
 'At least one newsletter issue for the network appeared in the calendar year of the period.'),
('alderman', 7, 'Wethouder betrokken', 'Alderman involved',
 'De wethouder is in de 24 maanden voor het einde van de periode ten minste één keer betrokken geweest.',
 'The alderman was involved at least once within the 24 months before the end of the period.'),
('annualReportPlan', 8, 'Jaarverslag en jaarplan', 'Annual report and annual plan',
 'Zowel een jaarverslag als een jaarplan (één A4) is gepubliceerd.',
 'Both an annual report and an annual plan (one A4 page) have been published.');

INSERT INTO prevention_points (key, position, label_nl, label_en) VALUES
('problemInsight', 1, 'Inzicht in de problematiek', 'Insight into the problem'),
('integralCooperation', 2, 'Integrale samenwerking', 'Integrated cooperation'),
('feasibleGoals', 3, 'Haalbare doelen', 'Feasible goals'),
('youthResilience', 4, 'Weerbaarheid van jongeren', 'Resilience of young people'),
('socialNormCampaign', 5, 'Beïnvloeden van de sociale norm', 'Influencing the social norm'),
('onlineAttention', 6, 'Aandacht voor online seksueel geweld', 'Attention to online sexual violence'),
('professionalsParentsSkills', 7, 'Vaardigheden van professionals en ouders', 'Skills of professionals and parents'),
('disabilityAttention', 8, 'Aandacht voor kinderen met een beperking', 'Attention to children with a disability');

INSERT INTO prevention_states (key, rank, label_nl, label_en) VALUES
('notStarted', 0, 'Niet gestart', 'Not started'),
('inProgress', 1, 'In uitvoering', 'In progress'),
('done', 2, 'Gerealiseerd', 'Done');
