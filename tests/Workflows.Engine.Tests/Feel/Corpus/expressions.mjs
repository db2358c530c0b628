// The FEEL corpus: [expression, context?]. Grouped as docs/feel.md documents the subset.
// now() and today() are left out: their value depends on the clock (tested in C# with a fake clock).
const order = { id: 'O-1', amount: 1250.5, customer: { name: 'Ada', tier: 'gold', age: 36 }, lines: [
  { sku: 'A', qty: 2, price: 10 }, { sku: 'B', qty: 1, price: 99.5 }, { sku: 'C', qty: 5, price: 1.25 } ] };
const complaint = { category: 'billing', amount: 80, repeat: true, priority: null, tags: ['vip', 'late'], authority: 100 };

export const expressions = [
  // literals
  ['1'], ['-7'], ['3.25'], ['.5'], ['"text"'], ['"with \\"quote\\""'], ['true'], ['false'], ['null'],
  ['"tab\\there"'], ['"unicode \\u00e9"'], ['[]'], ['[1, 2, 3]'], ['{}'], ['{a: 1, b: "x"}'], ['{"key with space": 1}'],
  ['[1, "a", true, null]'], ['[[1, 2], [3]]'], ['{a: {b: {c: 42}}}'], ['{a: 1, b: a + 1}'],

  // arithmetic
  ['1 + 2'], ['10 - 4'], ['6 * 7'], ['10 / 4'], ['2 ** 10'], ['-3 + 5'], ['1 + 2 * 3'], ['(1 + 2) * 3'],
  ['10 / 3'], ['7 / 0'], ['0 / 5'], ['2 ** 0.5'], ['-2 ** 2'], ['1.5 * 4'], ['100 - 0.01'], ['1e3 + 1'.replace('1e3', '1000')],
  ['amount * 2', order], ['amount / 4', order], ['amount - 0.5', order], ['amount + null', order], ['"a" + "b"'],
  ['"a" + 1'], ['null + 1'], ['1 - null'], ['customer.age + 4', order], ['-amount', order], ['2 * 3 ** 2'],
  ['10 - 2 - 3'], ['100 / 10 / 2'], ['0.25 + 0.75'], ['3 * 0.2'],

  // comparison
  ['1 < 2'], ['2 <= 2'], ['3 > 4'], ['4 >= 4'], ['1 = 1'], ['1 != 2'], ['"a" = "a"'], ['"a" != "b"'], ['"abc" < "abd"'],
  ['true = true'], ['null = null'], ['null != null'], ['1 = null'], ['1 = "1"'], ['amount > 1000', order], ['amount > 1000', {}],
  ['customer.tier = "gold"', order], ['[1, 2] = [1, 2]'], ['[1, 2] = [2, 1]'], ['{a: 1} = {a: 1}'], ['{a: 1} = {a: 2}'],
  ['date("2024-01-01") < date("2024-02-01")'], ['date("2024-01-01") = date("2024-01-01")'], ['time("10:00:00") > time("09:59:59")'],
  ['duration("PT1H") < duration("PT2H")'], ['duration("P1D") = duration("PT24H")'], ['duration("P1Y") > duration("P11M")'],
  ['date and time("2024-01-01T10:00:00Z") < date and time("2024-01-01T11:00:00Z")'],
  ['date and time("2024-01-01T10:00:00+01:00") = date and time("2024-01-01T09:00:00Z")'],
  ['5 between 1 and 10'], ['1 between 1 and 10'], ['10 between 1 and 10'], ['11 between 1 and 10'], ['"m" between "a" and "z"'],
  ['date("2024-05-05") between date("2024-01-01") and date("2024-12-31")'], ['amount between 1000 and 2000', order],

  // boolean logic (three-valued)
  ['true and true'], ['true and false'], ['false and null'], ['true and null'], ['null and null'], ['true or false'],
  ['false or false'], ['false or null'], ['true or null'], ['null or null'], ['not(true)'], ['not(false)'], ['not(null)'],
  ['not(1)'], ['1 < 2 and 3 < 4'], ['1 > 2 or 3 < 4'], ['repeat and amount > 50', complaint], ['repeat and amount > 500', complaint],
  ['not(repeat) or category = "billing"', complaint], ['priority = null', complaint], ['priority != null', complaint],
  ['true and 1'], ['1 or true'],

  // if-then-else
  ['if true then 1 else 2'], ['if false then 1 else 2'], ['if null then 1 else 2'],
  ['if amount > authority then "back office" else "front desk"', complaint],
  ['if amount > 1000 then "review" else "auto"', order], ['if customer.tier = "gold" then 0.1 else 0', order],
  ['if repeat then if amount > 50 then "senior" else "agent" else "agent"', complaint], ['(if true then 1 else 2) + 1'],

  // paths and filters
  ['customer.name', order], ['customer.missing', order], ['missing.name', order], ['lines.sku', order], ['lines.qty', order],
  ['lines[1]', order], ['lines[-1].sku', order], ['lines[qty > 1]', order], ['lines[qty > 1].sku', order], ['lines[item.price < 50].sku', order],
  ['lines[price > 1000]', order], ['[1, 2, 3, 4][item > 2]'], ['[1, 2, 3, 4][item mod 2 = 0]'.replace('item mod 2 = 0', 'modulo(item, 2) = 0')],
  ['[1, 2, 3][0]'], ['[1, 2, 3][4]'], ['[1, 2, 3][-3]'], ['{a: [1, 2]}.a[2]'], ['[{x: 1}, {x: 2}].x'], ['[{x: 1}, {y: 2}].x'],
  ['tags[1]', complaint], ['tags[item = "vip"]', complaint], ['count(tags[item != "vip"])', complaint], ['{a: {b: 1}}.a.b'],
  ['[[1, 2], [3, 4]][2][1]'], ['lines[sku = "B"].price[1]', order],

  // in and unary tests
  ['5 in [1..10]'], ['0 in [1..10]'], ['10 in [1..10)'], ['1 in (1..10]'], ['5 in (1, 5, 7)'], ['6 in (1, 5, 7)'], ['5 in > 3'],
  ['2 in > 3'], ['5 in >= 5'], ['"b" in ("a", "b")'], ['"c" in ("a", "b")'], ['category in ("billing", "network")', complaint],
  ['amount in [0..100]', complaint], ['5 in [1, 5]'], ['4 in [1, 5]'], ['date("2024-03-01") in [date("2024-01-01")..date("2024-12-31")]'],
  ['5 in (< 3, > 4)'], ['3 in (< 3, > 4)'], ['null in (1, 2)'], ['x in (1..5)', { x: 5 }], ['x in (1..5)', { x: 1 }],
  ['"vip" in tags', complaint],

  // for, some, every
  ['for x in [1, 2, 3] return x * 2'], ['for x in [] return x'], ['for x in 1..3 return x'], ['for x in 3..1 return x'],
  ['for x in [1, 2], y in [10, 20] return x + y'], ['for line in lines return line.qty * line.price', order],
  ['sum(for line in lines return line.qty * line.price)', order], ['for s in ["a", "b"] return upper case(s)'],
  ['some x in [1, 2, 3] satisfies x > 2'], ['some x in [1, 2, 3] satisfies x > 3'], ['every x in [1, 2, 3] satisfies x > 0'],
  ['every x in [1, 2, 3] satisfies x > 1'], ['some x in [] satisfies x > 0'], ['every x in [] satisfies x > 0'],
  ['some line in lines satisfies line.price > 50', order], ['every line in lines satisfies line.qty >= 1', order],
  ['some t in tags satisfies t = "late"', complaint], ['for i in 1..4 return i * i'],

  // string functions
  ['string length("hello")'], ['string length("")'], ['upper case("abc")'], ['lower case("ABC")'], ['substring("foobar", 3)'],
  ['substring("foobar", 3, 3)'], ['substring("foobar", -2, 1)'], ['substring("foobar", 1, 100)'], ['substring before("foobar", "bar")'],
  ['substring before("foobar", "xyz")'], ['substring after("foobar", "ob")'], ['substring after("foobar", "")'], ['contains("foobar", "ob")'],
  ['contains("foobar", "x")'], ['starts with("foobar", "fo")'], ['starts with("foobar", "o")'], ['ends with("foobar", "bar")'],
  ['ends with("foobar", "foo")'], ['matches("foobar", "^fo*b")'], ['matches("FOO", "foo", "i")'], ['matches("foo", "^bar")'],
  ['replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")'], ['replace("banana", "a", "o")'], ['replace("Hello", "l+", "L")'],
  ['split("a,b,c", ",")'], ['split("a1b22c", "[0-9]+")'], ['string join(["a", "b", "c"], ", ")'], ['string join(["a", "b"])'],
  ['string join([], ",")'], ['string join(["a", null, "c"], "-")'], ['string(1)'], ['string(1.5)'], ['string(true)'], ['string(null)'],
  ['string("x")'], ['string(date("2024-01-02"))'], ['string(duration("PT90M"))'], ['string(-0.5)'], ['string(customer.age)', order],
  ['upper case(customer.name)', order], ['string length(customer.name) > 2', order], ['"Dear " + customer.name', order],
  ['substring(id, 3)', order], ['contains(string(amount), ".")', order], ['upper case(null)'], ['string length(1)'],

  // numeric functions
  ['decimal(1.125, 2)'], ['decimal(1.135, 2)'], ['decimal(-1.5, 0)'], ['decimal(2.5, 0)'], ['floor(1.5)'], ['floor(-1.5)'],
  ['ceiling(1.2)'], ['ceiling(-1.2)'], ['floor(1.567, 2)'], ['ceiling(1.561, 2)'], ['round up(1.121, 2)'], ['round up(-1.121, 2)'],
  ['round down(1.129, 2)'], ['round down(-1.129, 2)'], ['round half up(2.5, 0)'], ['round half up(-2.5, 0)'], ['round half down(2.5, 0)'],
  ['round half down(2.51, 0)'], ['abs(-3)'], ['abs(3)'], ['abs(duration("-PT1H"))'], ['modulo(10, 3)'], ['modulo(-10, 3)'],
  ['modulo(10, -3)'], ['modulo(10.5, 3)'], ['sqrt(16)'], ['sqrt(2)'], ['sqrt(-1)'], ['exp(0)'], ['log(1)'], ['odd(3)'], ['odd(2)'],
  ['even(2)'], ['even(3)'], ['number("42")'], ['number("-1.5")'], ['number("1,000.5", ",", ".")'], ['number("1.000,5", ".", ",")'],
  ['number("abc")'], ['decimal(amount * 0.19, 2)', order], ['floor(amount)', order], ['abs(-amount)', order],

  // list functions
  ['list contains([1, 2, 3], 2)'], ['list contains([1, 2, 3], 4)'], ['list contains([null], null)'], ['count([1, 2, 3])'], ['count([])'],
  ['min([3, 1, 2])'], ['max([3, 1, 2])'], ['min(3, 1, 2)'], ['min([])'], ['sum([1, 2, 3])'], ['sum(1, 2, 3)'],
  ['sum([])'], ['mean([1, 2, 3, 4])'], ['mean([])'], ['median([3, 1, 2])'], ['median([1, 2, 3, 4])'], ['product([2, 3, 4])'],
  ['all([true, true])'], ['all([true, false])'], ['all([])'], ['any([false, true])'], ['any([false, false])'], ['any([])'],
  ['sublist([1, 2, 3, 4], 2)'], ['sublist([1, 2, 3, 4], 2, 2)'], ['sublist([1, 2, 3], -1)'],
  ['append([1, 2], 3)'], ['append([1], 2, 3)'], ['append([], "a")'], ['concatenate([1], [2, 3], [])'], ['insert before([1, 3], 2, 2)'],
  ['remove([1, 2, 3], 2)'], ['reverse([1, 2, 3])'], ['reverse([])'], ['index of([1, 2, 1], 1)'], ['index of([1, 2], 3)'],
  ['union([1, 2], [2, 3])'], ['distinct values([1, 2, 1, 3, 2])'], ['distinct values([])'], ['flatten([1, [2, [3, 4]], 5])'],
  ['flatten([])'], ['sort([3, 1, 2])'], ['sort([3, 1, 2], function(x, y) x > y)'], ['sort(["b", "a"])'], ['count(lines)', order],
  ['sum(lines.qty)', order], ['max(lines.price)', order], ['min(lines.price)', order], ['mean(lines.qty)', order],
  ['list contains(tags, "vip")', complaint], ['count(tags)', complaint], ['reverse(tags)', complaint], ['index of(tags, "late")', complaint],
  ['sublist(lines, 1, 1).sku', order], ['distinct values(lines.sku)', order], ['string join(lines.sku, "/")', order],
  ['sort(lines, function(a, b) a.price < b.price).sku', order],

  // context functions
  ['get value({a: 1}, "a")'], ['get value({a: 1}, "b")'], ['get entries({a: 1, b: 2})'], ['get entries({})'],
  ['context put({a: 1}, "b", 2)'], ['context put({a: 1}, "a", 3)'], ['context merge([{a: 1}, {b: 2}])'], ['context merge([{a: 1}, {a: 2}])'],
  ['get value(customer, "tier")', order], ['get entries(customer).key', order],

  // dates and times
  ['date("2024-01-31")'], ['date("2024-02-30")'], ['date(2024, 2, 29)'], ['date(2023, 2, 29)'], ['date(date and time("2024-05-06T10:20:30"))'],
  ['time("10:20:30")'], ['time("10:20:30Z")'], ['time("10:20:30+02:00")'], ['time(10, 20, 30)'], ['time("25:00:00")'],
  ['date and time("2024-01-31T10:20:30")'], ['date and time("2024-01-31T10:20:30Z")'], ['date and time("2024-01-31T10:20:30+01:00")'],
  ['date and time(date("2024-01-31"), time("08:00:00"))'], ['date and time("2024-13-01T00:00:00")'], ['@"2024-06-01"'], ['@"10:00:00"'],
  ['@"2024-06-01T10:00:00Z"'], ['@"P2D"'], ['@"PT36H"'], ['@"P1Y6M"'],
  ['date("2024-01-31").year'], ['date("2024-01-31").month'], ['date("2024-01-31").day'], ['date("2024-01-01").weekday'],
  ['date and time("2024-01-31T10:20:30").hour'], ['date and time("2024-01-31T10:20:30").minute'], ['date and time("2024-01-31T10:20:30").second'],
  ['time("10:20:30").hour'], ['duration("P2DT3H").days'], ['duration("P2DT3H").hours'], ['duration("P1Y7M").years'], ['duration("P1Y7M").months'],
  ['day of week(date("2024-01-01"))'], ['day of week(date("2024-01-06"))'], ['day of year(date("2024-02-01"))'],
  ['month of year(date("2024-03-15"))'], ['week of year(date("2024-01-01"))'], ['week of year(date("2021-01-03"))'],

  // durations
  ['duration("P1D")'], ['duration("PT1H30M")'], ['duration("P1DT12H")'], ['duration("PT0S")'], ['duration("-PT2H")'], ['duration("P3W")'.replace('P3W', 'P21D')],
  ['duration("P1Y")'], ['duration("P14M")'], ['duration("P2Y3M")'], ['duration("-P1Y")'], ['duration("xyz")'], ['duration("PT1.5S")'],
  ['years and months duration(date("2020-01-15"), date("2024-03-15"))'], ['years and months duration(date("2024-03-15"), date("2020-01-15"))'],

  // temporal arithmetic
  ['date("2024-01-31") + duration("P1D")'], ['date("2024-01-01") - duration("P1D")'], ['date("2024-01-31") + duration("P1M")'],
  ['date("2023-01-31") + duration("P1M")'], ['date("2024-02-29") + duration("P1Y")'], ['date("2024-03-01") - date("2024-02-01")'],
  ['date and time("2024-01-01T10:00:00Z") + duration("PT90M")'], ['date and time("2024-01-01T23:30:00Z") + duration("PT1H")'],
  ['date and time("2024-01-02T00:00:00Z") - date and time("2024-01-01T12:00:00Z")'], ['date and time("2024-01-31T10:00:00Z") + duration("P1M")'],
  ['time("10:00:00") + duration("PT90M")'], ['time("23:30:00") + duration("PT1H")'], ['time("10:00:00") - time("08:30:00")'],
  ['duration("PT1H") + duration("PT30M")'], ['duration("P1D") - duration("PT1H")'],
  ['duration("P1Y") + duration("P6M")'],
  ['date and time("2024-01-01T10:00:00Z") > date and time("2024-01-01T10:00:00Z") - duration("PT1S")'],
  ['date("2024-01-10") - duration("P1Y")'], ['date and time("2024-03-31T12:00:00Z") - duration("P1M")'],

  // instance of
  ['1 instance of number'], ['"a" instance of string'], ['1 instance of string'], ['true instance of boolean'], ['[1] instance of list'],
  ['{a: 1} instance of context'], ['date("2024-01-01") instance of date'], ['duration("P1D") instance of days and time duration'],
  ['duration("P1Y") instance of years and months duration'], ['null instance of number'],

  // functions and invocation
  ['(function(x) x + 1)(2)'], ['(function(a, b) a * b)(3, 4)'], ['substring(string: "foobar", start position: 4)'],
  ['{f: function(x) x * 10, r: f(5)}.r'], ['count(list: [1, 2])'], ['string join(list: ["a", "b"], delimiter: "+")'],

  // journeys: conditions as analysts write them
  ['amount > authority', complaint], ['category = "billing" and amount <= authority', complaint],
  ['if repeat then "repeat complaint" else "first complaint"', complaint], ['list contains(tags, "vip") or amount > 500', complaint],
  ['customer.tier in ("gold", "platinum") and amount > 1000', order], ['count(lines[qty > 1]) >= 2', order],
  ['sum(lines.qty) > 5', order], ['every l in lines satisfies l.price > 0', order], ['decimal(sum(for l in lines return l.qty * l.price) * 1.21, 2)', order],
  ['if customer.age >= 18 then "adult" else "minor"', order], ['{total: sum(lines.qty), top: max(lines.price)}', order],
  ['string join(for l in lines return l.sku + "x" + string(l.qty), ", ")', order], ['not(list contains(tags, "vip"))', complaint],
  ['score >= 600 and income > 2 * monthly', { score: 640, income: 5000, monthly: 1200 }], ['score >= 600 and income > 2 * monthly', { score: 580, income: 5000, monthly: 1200 }],
  ['damage > deductible and damage <= limit', { damage: 2500, deductible: 250, limit: 10000 }], ['claimAmount > 5000 or fraudScore > 0.8', { claimAmount: 1200, fraudScore: 0.9 }],
  ['if claimAmount <= 1000 then "agent" else if claimAmount <= 10000 then "supervisor" else "manager"', { claimAmount: 4500 }],
  ['if claimAmount <= 1000 then "agent" else if claimAmount <= 10000 then "supervisor" else "manager"', { claimAmount: 45000 }],
  ['returnDays <= 30 and condition = "unused"', { returnDays: 12, condition: 'unused' }], ['returnDays <= 30 and condition = "unused"', { returnDays: 45, condition: 'unused' }],
  ['moveDate - noticeDate', { }], ['satisfaction < 3', { satisfaction: 2 }], ['satisfaction < 3', { satisfaction: 4 }],
  ['identityVerified and creditScore >= 500', { identityVerified: true, creditScore: 720 }], ['identityVerified and creditScore >= 500', { identityVerified: false, creditScore: 720 }],
  ['count(previousComplaints[date >= "2024-01-01"]) > 0', { previousComplaints: [{ date: '2024-03-02' }, { date: '2023-11-01' }] }],
  ['upper case(substring(postcode, 1, 2))', { postcode: 'sw1a 1aa' }], ['matches(email, "^[^@]+@[^@]+$")', { email: 'ada@example.org' }],
  ['matches(email, "^[^@]+@[^@]+$")', { email: 'not-an-email' }],
];

// Where feelin departs from the DMN 1.3 specification, the engine follows the specification and the
// expression is left out of the corpus; FeelSpecificationTests checks these cases against the spec.
export const excluded = [
  ['if 1 then "yes" else "no"', 'feelin takes the then-branch for a non-boolean condition; DMN takes else'],
  ['max("a", "c", "b")', 'feelin returns null; DMN max() orders any comparable values, strings included'],
  ['duration("PT1H") * 3', 'feelin returns null; DMN defines duration * number'],
  ['duration("PT3H") / 2', 'feelin returns null; DMN defines duration / number'],
  ['duration("P1D") / duration("PT1H")', 'feelin returns null; DMN defines duration / duration as a number'],
  ['duration("P1Y") * 2', 'feelin returns null; DMN defines duration * number'],
  ['duration("P1Y") / duration("P1M")', 'feelin returns null; DMN defines duration / duration as a number'],
  ['years and months duration(date("2024-01-31"), date("2024-02-29"))', 'feelin returns P29D, a days duration; the spec returns P0M'],
  ['duplicate values([1, 2, 1, 3, 3])', 'a Camunda extension that feelin does not have'],
];
