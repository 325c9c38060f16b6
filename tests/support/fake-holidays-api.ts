import { type FakeApi, type FakeApiReply, type FakeApiRequest, startFakeApi } from './fake-api-server.ts';

/**
 * A Nager.Date-compatible fake: `GET /api/v3/PublicHolidays/{year}/{countryCode}` answering
 * PublicHolidayV3 objects for a few countries, 404 for unknown ones and 204 for a known country without
 * holidays (AQ).
 */
export type FakeHolidaysApi = FakeApi;

/** Month-day, English name, local name, nationwide. */
type Template = [string, string, string, boolean];

const CALENDARS: Record<string, Template[]> = {
  DE: [
    ['01-01', "New Year's Day", 'Neujahr', true],
    ['05-01', 'Labour Day', 'Tag der Arbeit', true],
    ['10-03', 'German Unity Day', 'Tag der Deutschen Einheit', true],
    ['10-31', 'Reformation Day', 'Reformationstag', false],
    ['12-25', 'Christmas Day', 'Erster Weihnachtstag', true],
  ],
  US: [
    ['01-01', "New Year's Day", "New Year's Day", true],
    ['07-04', 'Independence Day', 'Independence Day', true],
    ['12-25', 'Christmas Day', 'Christmas Day', true],
  ],
  AQ: [],
};

export async function startFakeHolidaysApi(): Promise<FakeHolidaysApi> {
  return startFakeApi({
    answer,
    errorBody: (status) => ({
      type: 'https://tools.ietf.org/html/rfc9110#section-15',
      title: status === 404 ? 'Not Found' : 'An error occurred',
      status,
    }),
  });
}

function answer(request: FakeApiRequest): FakeApiReply {
  const match = /^\/api\/v3\/PublicHolidays\/([^/]+)\/([^/]+)$/.exec(request.path);
  if (!match?.[1] || !match[2]) return { status: 404 };
  const year = Number(match[1]);
  if (!Number.isInteger(year) || year < 1900 || year > 2200) {
    return { status: 400, body: { title: 'One or more validation errors occurred.', status: 400 } };
  }
  const country = match[2].toUpperCase();
  const calendar = CALENDARS[country];
  if (!calendar) return { status: 404 };
  if (calendar.length === 0) return { status: 204 };
  return {
    status: 200,
    body: calendar.map(([monthDay, name, localName, global]) => ({
      date: `${year}-${monthDay}`,
      localName,
      name,
      countryCode: country,
      fixed: true,
      global,
      counties: global ? null : [`${country}-BB`, `${country}-SN`],
      launchYear: null,
      types: ['Public'],
    })),
  };
}
