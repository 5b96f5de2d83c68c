using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spike.Api.Endpoints;
using Spike.Sales;
using Spike.Tests.Fixtures;
using Spike.Tests.Support;
using Xunit.Abstractions;

namespace Spike.Tests.Http;

/// <summary>
/// A few thousand hostile requests, generated from one seed, at every endpoint of a node of its own: none
/// may get a 5xx (Redis is up, so not even the buy path's 503), make the node log an error or an actor
/// fail, or change a sale running alongside. <c>SPIKE_FUZZ_SEED</c> replays a printed seed.
/// </summary>
public sealed class FuzzSpecs(SpikeAppFixture app, ITestOutputHelper output) : IClassFixture<SpikeAppFixture>
{
    private const string SeedVariable = "SPIKE_FUZZ_SEED";
    private const int RequestCount = 5000;
    private const int Parallelism = 8;

    /// <summary>Stops sending early on a starved machine: the spec stays bounded.</summary>
    private static readonly TimeSpan SendingBudget = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Should_answer_below_500_log_no_error_and_leave_other_sales_untouched_when_every_endpoint_is_fuzzed()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), CultureInfo.InvariantCulture, out var given) ? given : Random.Shared.Next();
        var system = app.Services.GetRequiredService<ActorSystem>();
        using var akkaErrors = new AkkaErrorRecorder(system);
        var control = await app.CreateSaleAsync(stock: 10);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync($"/buy/ticket?sale={control}&user=control-before")).StatusCode);
        var controlStockActor = await StockActorAsync(system, control);
        var controlBefore = await app.AuditAsync(control);
        var fuzzSale = await app.CreateSaleAsync(stock: 50);
        var requests = new HostileRequests(new Random(seed), fuzzSale).Take(RequestCount).ToList();

        var failures = new ConcurrentQueue<string>();
        var answers = new ConcurrentDictionary<string, int>();
        var sent = 0;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (request, cancellationToken) =>
        {
            if (clock.Elapsed > SendingBudget)
            {
                return;
            }
            using var message = request.ToMessage();
            using var response = await app.Client.SendAsync(message, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            Interlocked.Increment(ref sent);
            answers.AddOrUpdate($"{request.Method} {request.Route} {(int)response.StatusCode}", 1, (_, count) => count + 1);
            if ((int)response.StatusCode >= 500)
            {
                failures.Enqueue($"{(int)response.StatusCode} for {request}: {Printable(body, 300)}");
            }
        });
        clock.Stop();

        var replay = $"fuzz seed {seed} (replay: {SeedVariable}={seed}), {sent} of {requests.Count} requests sent in {clock.Elapsed.TotalSeconds:F1} s";
        output.WriteLine(replay);
        output.WriteLine(string.Join("\n", answers.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Value,6}  {a.Key}")));
        Assert.True(failures.IsEmpty, $"{replay}: {failures.Count} answers 5xx, e.g.\n{string.Join("\n", failures.Take(10))}");
        var logged = app.NodeLogs.EntriesAtLeast(LogLevel.Error);
        Assert.True(logged.Count == 0, $"{replay}: the node logged errors, e.g.\n{string.Join("\n", logged.Take(5))}");
        var errors = await akkaErrors.ErrorsSoFarAsync(TimeSpan.FromSeconds(5));
        Assert.True(errors.Count == 0, $"{replay}: actors failed or logged errors, e.g.\n{string.Join("\n", errors.Take(5))}");
        Assert.Equal(controlBefore.Counts, (await app.AuditAsync(control)).Counts);
        Assert.Equal(controlStockActor, await StockActorAsync(system, control)); // a restarted StockManager would have replaced it
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync($"/buy/ticket?sale={control}&user=control-after")).StatusCode);
        var controlAfter = await app.AuditAsync(control);
        Assert.Equal(controlBefore.Counts.Held + 1, controlAfter.Counts.Held);
        controlAfter.AssertConsistent();
        foreach (var sale in HostileRequests.SalesTheFuzzMayCreate.Append(fuzzSale))
        {
            if (await app.Redis.Database.KeyExistsAsync(Spike.Sales.SaleKeys.Meta(sale)))
            {
                (await app.AuditAsync(sale, new SaleAuditOptions { PerUserLimit = 1000 })).AssertConsistent(); // its limit was fuzzed too
            }
        }
    }

    private static Task<IActorRef> StockActorAsync(ActorSystem system, string sale) =>
        system.ActorSelection($"/user/stock/{sale}").ResolveOne(TimeSpan.FromSeconds(3));

    /// <summary>Non-printable characters escaped, cut to <paramref name="max"/> characters: safe in a test report.</summary>
    private static string Printable(string text, int max)
    {
        var builder = new StringBuilder();
        foreach (var c in text.Length > max ? text[..max] : text)
        {
            builder.Append(c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}");
        }
        return text.Length > max ? builder.Append($"…({text.Length} chars)").ToString() : builder.ToString();
    }

    private sealed record FuzzRequest(HttpMethod Method, string PathAndQuery, byte[]? Body, string? ContentType, IReadOnlyList<(string Name, string Value)> Headers)
    {
        /// <summary>The endpoint aimed at, for the tally of answers.</summary>
        public string Route => PathAndQuery switch
        {
            var p when p.StartsWith("/buy/ticket?", StringComparison.Ordinal) || p == "/buy/ticket" => "/buy/ticket",
            var p when p.StartsWith("/admin/sales/", StringComparison.Ordinal) && p.EndsWith("/stock", StringComparison.Ordinal) => "/admin/sales/{id}/stock",
            var p when p.StartsWith("/admin/sales/", StringComparison.Ordinal) && p.IndexOf('/', "/admin/sales/".Length) < 0 => "/admin/sales/{id}",
            var p when p.StartsWith("/healthz", StringComparison.Ordinal) || p.StartsWith("/ready", StringComparison.Ordinal) || p.StartsWith("/ping", StringComparison.Ordinal) => p.Split('?')[0],
            _ => "(odd path)",
        };

        public HttpRequestMessage ToMessage()
        {
            var message = new HttpRequestMessage(Method, new Uri("http://localhost" + PathAndQuery));
            if (Body is not null)
            {
                message.Content = new ByteArrayContent(Body);
                if (ContentType is not null)
                {
                    message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
                }
            }
            foreach (var (name, value) in Headers)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
            return message;
        }

        public override string ToString() =>
            $"{Method} {Printable(PathAndQuery, 200)} [{string.Join("; ", Headers.Select(h => $"{h.Name}: {Printable(h.Value, 40)}"))}]"
            + (Body is null ? "" : $" {ContentType ?? "(no content type)"} body {Printable(Encoding.UTF8.GetString(Body), 200)}");
    }

    /// <summary>
    /// An endless, seeded stream of requests built to break parsing, validation and naming. Buys go to
    /// <paramref name="fuzzSale"/> (and hostile ids), which admin requests reconfigure and restock
    /// meanwhile (its stock and per-user limit change under the buyers); other admin requests go to
    /// sales of their own.
    /// </summary>
    private sealed class HostileRequests(Random random, string fuzzSale) : IEnumerable<FuzzRequest>
    {
        /// <summary>Valid sale ids the fuzz may create and reconfigure through the admin API; no buy goes to them.</summary>
        public static readonly string[] SalesTheFuzzMayCreate = ["fz1", "fz2", "fz3"];

        private static readonly string[] PlainIds = ["alice", "u1", "r-1", "x", "A.b_c-9", "fz"];
        private static readonly string[] ValidIdStems = ["u", "user/", "ü", "😀", "a b", "..\\", "$"];
        private static readonly string[] UnicodeIds =
        [
            "café", "😀", "👩‍👩‍👧", "עברית", "مرحبا", "\u202Eevil", "e\u0301", "\u200B", "\uFEFFbom", "ᄀ", "\u2028", "\u0085", "Ω",
        ];
        private static readonly string[] PathLikeIds = ["/", "\\", "..", "../..", "a/b", "a\\b", "./a", "%2e%2e", "//", "a/../b"];
        private static readonly string[] OddIds = ["", " ", "  a", "a ", "$", "$x", "+", "%", "%%", "#", "?", "&", "=", "\"", "'", "<b>", "{x}", "*", "a\tb", "null"];

        /// <summary>Put into URLs as they are, not encoded again: bad escapes, NUL, a UTF-8-encoded lone surrogate.</summary>
        private static readonly string[] RawUrlPieces = ["%00", "%ED%A0%80", "%ED%B0%80", "%zz", "%", "%2F", "%5C", "%0A", "%0D%0A", "%C3", "%FF", "+", "%25", "%2e%2e%2f"];

        private static readonly string[] Numbers =
        [
            "-1", "0", "1", "2", "3", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
            "1000000000000", "1000000000001", "1e3", "1.5", "-0", "12abc", " 1", "+1", "0x10", "NaN", "Infinity", "", "١", "1_000",
        ];

        private static readonly string[] ContentTypes =
        [
            "application/json; charset=utf-16", "text/plain", "application/xml", "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded", "application/problem+json", "*/*", "garbage", "",
        ];

        private static readonly string[] Paths =
        [
            "/", "/buy", "/buy/ticket/", "/buy//ticket", "/BUY/Ticket", "/buy/ticket%01", "/admin", "/admin/sales", "/admin/sales/",
            "/admin/sales/%2E%2E", "/admin/sales/a%2Fb", "/admin/sales/a%5Cb/stock", "/admin/sales/fz1/stock/more", "/%0A", "/ping/",
            "/healthz?x=%00", "/ready?ready=no&ready=yes",
        ];

        private static readonly HttpMethod[] Methods =
        [
            HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Head, HttpMethod.Options,
            new("PROPFIND"),
        ];

        private static readonly string[] BuyFields = ["sale", "user", "quantity", "requestId"];
        private static readonly string[] SaleFields = ["stock", "perUserLimit", "paymentWindowSeconds"];
        private static readonly string[] StockFields = ["add", "operationId"];
        private static readonly string[] NumberFields = ["quantity", "stock", "perUserLimit", "paymentWindowSeconds", "add"];
        private static readonly string[] UnknownFields = ["color", "SALE", "user ", "", "__proto__", "a\u0000b", "quantity[]"];

        public IEnumerator<FuzzRequest> GetEnumerator()
        {
            while (true)
            {
                yield return random.Next(10) switch
                {
                    < 3 => BuyByQuery(),
                    < 5 => BuyByBody(),
                    < 8 => AdminRequest(),
                    8 => HealthRequest(),
                    _ => OddPathRequest(),
                };
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private FuzzRequest BuyByQuery()
        {
            var hostile = HostileFields(BuyFields);
            var query = new List<string>();
            foreach (var field in BuyFields.Where(_ => random.Next(10) < 8))
            {
                query.Add(field + "=" + (hostile(field) ? UrlValue(field) : Encode(ValidValue(field))));
                if (random.Next(15) == 0)
                {
                    query.Add(field + "=" + UrlValue(field)); // repeated key
                }
            }
            if (random.Next(8) == 0)
            {
                query.Add(Encode(Pick(UnknownFields)) + "=" + UrlValue("user"));
            }
            if (random.Next(15) == 0)
            {
                query.Add(Pick(["", "sale", "=", "&", "=x"])); // no value, no name, empty pairs
            }
            var method = random.Next(10) == 0 ? Pick(Methods) : HttpMethod.Get;
            return new FuzzRequest(method, "/buy/ticket?" + string.Join("&", Shuffle(query)), null, null, Headers(admin: false));
        }

        private FuzzRequest BuyByBody()
        {
            var method = random.Next(10) == 0 ? Pick(Methods) : HttpMethod.Post;
            var (body, contentType) = Body(BuyFields);
            return new FuzzRequest(method, "/buy/ticket" + (random.Next(10) == 0 ? "?" + Encode(Pick(UnknownFields)) + "=1" : ""),
                method == HttpMethod.Head || method == HttpMethod.Get ? null : body, contentType, Headers(admin: false));
        }

        private FuzzRequest AdminRequest()
        {
            var id = random.Next(2) == 0 && Id() is var hostile && RequestRules.CheckSaleId(hostile) is not null ? hostile : Pick(SalesTheFuzzMayCreate);
            var (path, method, fields) = random.Next(3) switch
            {
                0 => ($"/admin/sales/{PathSegment(random.Next(3) == 0 ? fuzzSale : id)}", HttpMethod.Put, SaleFields),
                1 => ($"/admin/sales/{PathSegment(random.Next(3) == 0 ? fuzzSale : id)}/stock", HttpMethod.Post, StockFields),
                _ => ($"/admin/sales/{PathSegment(random.Next(3) == 0 ? fuzzSale : id)}", HttpMethod.Get, SaleFields),
            };
            if (random.Next(8) == 0 && !path.Contains(fuzzSale, StringComparison.Ordinal))
            {
                method = Pick(Methods);
            }
            var (body, contentType) = Body(fields);
            return new FuzzRequest(method, path, method == HttpMethod.Get || method == HttpMethod.Head ? null : body, contentType, Headers(admin: true));
        }

        private FuzzRequest HealthRequest()
        {
            var path = Pick(["/healthz", "/ready", "/ping"]);
            var query = random.Next(3) == 0 ? "?" + Encode(Pick(UnknownFields)) + "=" + UrlValue("user") + "&a=1&a=2" : "";
            var method = random.Next(3) == 0 ? Pick(Methods) : HttpMethod.Get;
            var (body, contentType) = Body(BuyFields);
            return new FuzzRequest(method, path + query, method == HttpMethod.Get || method == HttpMethod.Head ? null : body, contentType, Headers(admin: false));
        }

        private FuzzRequest OddPathRequest()
        {
            var method = Pick(Methods);
            var (body, contentType) = Body(BuyFields);
            return new FuzzRequest(method, Pick(Paths), method == HttpMethod.Get || method == HttpMethod.Head ? null : body, contentType, Headers(admin: random.Next(2) == 0));
        }

        /// <summary>
        /// Half the requests carry one hostile field among valid ones, so that each check is reached on its own
        /// and valid requests get through to the actors and Redis; the other half are hostile throughout.
        /// </summary>
        private Func<string, bool> HostileFields(string[] fields)
        {
            if (random.Next(2) == 0)
            {
                return _ => true;
            }
            var hostile = Pick(fields);
            return field => field == hostile;
        }

        private string ValidValue(string field) => field switch
        {
            "sale" => fuzzSale,
            "quantity" => Number(1, 3),
            "stock" => Number(0, 100),
            "perUserLimit" => Number(1, 4),
            "paymentWindowSeconds" => Number(1, 600),
            "add" => Number(1, 10),
            _ => Pick(ValidIdStems) + Number(0, 500), // user, requestId, operationId: repeats are retries
        };

        private string Number(int min, int maxExclusive) => random.Next(min, maxExclusive).ToString(CultureInfo.InvariantCulture);

        private string SaleId() => random.Next(10) < 3 ? fuzzSale : Id();

        /// <summary>Mostly hostile: control characters at every position, line breaks, unicode, lone surrogates, 10 kB, paths, oddities.</summary>
        private string Id() => random.Next(11) switch
        {
            0 => Pick(PlainIds),
            1 => WithControlCharacter(Pick(PlainIds)),
            2 => Pick(PlainIds) + Pick(["\n", "\r\n", "\r", "\0", "\u0085"]), // a final line break: what '$' let through
            3 => Pick(UnicodeIds),
            4 => LoneSurrogate() + Pick(PlainIds) + LoneSurrogate(),
            5 => random.Next(2) == 0 ? new string('x', 10_000) : string.Concat(Enumerable.Repeat("😀", 1_000)), // the latter 12 kB percent-encoded
            6 => Pick(PathLikeIds),
            7 => Pick(OddIds),
            8 => new string('y', 128 + random.Next(-1, 2)), // around the length limit
            9 => fuzzSale + Pick(["\n", "\r\n", " ", "/", "#", "😀"]),
            _ => string.Concat(Enumerable.Range(0, 1 + random.Next(4)).Select(_ => Pick([Pick(PlainIds), Pick(UnicodeIds), Pick(PathLikeIds), Pick(OddIds), ControlCharacter()]))),
        };

        /// <summary>At any position, the end included.</summary>
        private string WithControlCharacter(string text) => text.Insert(random.Next(text.Length + 1), ControlCharacter());

        private string ControlCharacter() => ((char)Pick([.. Enumerable.Range(0, 0x20), 0x7F, 0x80, 0x85, 0x9F])).ToString();

        private char LoneSurrogate() => (char)random.Next(0xD800, 0xE000);

        private string UrlValue(string field) => random.Next(12) switch
        {
            0 => Pick(RawUrlPieces),
            1 => Encode(Id()) + Pick(RawUrlPieces),
            _ => field switch
            {
                "sale" => Encode(SaleId()),
                "quantity" => Encode(Pick(Numbers)),
                _ => Encode(Id()),
            },
        };

        private (byte[] Body, string? ContentType) Body(string[] fields)
        {
            var contentType = random.Next(5) == 0 ? (random.Next(4) == 0 ? null : Pick(ContentTypes)) : "application/json";
            var json = new JsonText();
            switch (random.Next(14))
            {
                case < 7:
                    Object(json, fields);
                    break;
                case 7:
                    Object(json, fields);
                    json.Truncate(random.Next(json.Length));
                    break;
                case 8:
                    var depth = Pick([500, 1_000, 10_000]); // within the 4 KiB cap (JSON's depth limit answers) and far beyond it
                    json.Ascii(random.Next(2) == 0 ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth));
                    break;
                case 9:
                    break; // empty
                case 10:
                    json.Ascii(Pick(["null", "[]", "1", "\"x\"", "true", "[{}]", " ", "{", "}", "{}", "{\"sale\"}", "{,}"]));
                    break;
                case 11:
                    json.Ascii("{\"" + Pick(fields) + "\":");
                    json.String(new string('z', Pick([3_000, 5_000, 100_000])));
                    json.Ascii("}");
                    break;
                case 12:
                    json.Bytes([.. Enumerable.Range(0, random.Next(64)).Select(_ => (byte)random.Next(256))]);
                    break;
                default:
                    json.Ascii("{\"" + Pick(fields) + "\":\"a\",\"" + Pick(fields) + "\":\"b\",\"" + Pick(fields) + "\":1}"); // duplicate keys
                    break;
            }
            return (json.ToArray(), contentType);
        }

        private void Object(JsonText json, string[] fields)
        {
            json.Ascii("{");
            var hostile = HostileFields(fields);
            var members = fields.Where(_ => random.Next(10) < 7).ToList();
            if (random.Next(6) == 0)
            {
                members.Add(Pick(UnknownFields));
            }
            if (random.Next(10) == 0 && members.Count > 0)
            {
                members.Add(Pick(members)); // duplicate key
            }
            var first = true;
            foreach (var field in Shuffle(members))
            {
                json.Ascii(first ? "" : ",");
                first = false;
                json.String(field);
                json.Ascii(":");
                if (hostile(field))
                {
                    Value(json, field);
                }
                else if (NumberFields.Contains(field))
                {
                    json.Ascii(ValidValue(field));
                }
                else
                {
                    json.String(ValidValue(field));
                }
            }
            json.Ascii("}");
        }

        private void Value(JsonText json, string field)
        {
            var numeric = NumberFields.Contains(field);
            switch (random.Next(12))
            {
                case < 6 when numeric:
                    json.Ascii(Pick(Numbers)); // raw: some of them are not JSON numbers at all
                    break;
                case < 6:
                    json.String(field == "sale" ? SaleId() : Id(), rawLoneSurrogates: random.Next(4) == 0);
                    break;
                case 6:
                    json.Ascii("null");
                    break;
                case 7:
                    json.Ascii(Pick(["true", "[]", "[1,2]", "{}", "{\"a\":1}", "-", "0.0", "1e400"]));
                    break;
                case 8 when numeric:
                    json.String(Pick(Numbers));
                    break;
                case 8:
                    json.Ascii(Pick(Numbers) is { Length: > 0 } number ? number : "0");
                    break;
                case 9:
                    json.Ascii(new string('[', 200) + new string(']', 200));
                    break;
                default:
                    json.String(numeric ? Pick(Numbers) : Id());
                    break;
            }
        }

        private List<(string Name, string Value)> Headers(bool admin)
        {
            var headers = new List<(string, string)>();
            if (admin ? random.Next(6) != 0 : random.Next(20) == 0)
            {
                headers.Add(("Authorization", random.Next(4) != 0 ? "Bearer " + Admin.Token : Pick(
                [
                    "Bearer wrong", "bearer " + Admin.Token, "Bearer " + Admin.Token + " ", "Bearer", "Bearer ", "Basic " + Admin.Token,
                    "Bearer " + new string('t', 8_000), "Bearer " + Admin.Token + "," + Admin.Token,
                ])));
            }
            if (random.Next(6) == 0)
            {
                headers.Add(("X-Spike-Request-Id-Origin", Pick(["proxy", "PROXY", "", "client", "proxy,proxy"])));
            }
            if (random.Next(6) == 0)
            {
                headers.Add(Pick<(string, string)>(
                [
                    ("Accept", "application/xml;q=garbage"), ("Accept-Encoding", "gzip;q=-1"), ("Accept-Charset", "utf-7"), ("Expect", "100-continue"),
                    ("X-Forwarded-For", "::::, not-an-ip"), ("X-Junk", new string('j', 8_000)), ("Cookie", "a=%00; b"), ("Range", "bytes=9-1"),
                    ("If-None-Match", "*"), ("Content-Encoding", "gzip"), ("X-Spike-Request-Id-Origin-Extra", "proxy"), ("Origin", "null"),
                ]));
            }
            return headers;
        }

        /// <summary>
        /// Kestrel answers 400 to a path with NUL before the app sees it, and the test server throws at the
        /// client instead: a path carries every other character, NUL goes into queries and bodies.
        /// </summary>
        private static string PathSegment(string id) => Encode(id.Replace('\0', '\u0001'));

        /// <summary>Percent-encodes everything but unreserved ASCII; a lone surrogate becomes its (invalid) three UTF-8-style bytes, %ED%A0%80 for U+D800.</summary>
        private static string Encode(string text)
        {
            var builder = new StringBuilder();
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~')
                {
                    builder.Append(c);
                    continue;
                }
                byte[] bytes;
                if (char.IsSurrogatePair(text, i))
                {
                    bytes = Encoding.UTF8.GetBytes(text.Substring(i++, 2));
                }
                else
                {
                    bytes = char.IsSurrogate(c) ? LoneSurrogateBytes(c) : Encoding.UTF8.GetBytes(c.ToString());
                }
                foreach (var b in bytes)
                {
                    builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }
            return builder.ToString();
        }

        private static byte[] LoneSurrogateBytes(char c) => [0xED, (byte)(0x80 | ((c >> 6) & 0x3F)), (byte)(0x80 | (c & 0x3F))];

        private T Pick<T>(IReadOnlyList<T> options) => options[random.Next(options.Count)];

        private List<T> Shuffle<T>(List<T> items)
        {
            var array = items.ToArray();
            random.Shuffle(array);
            return [.. array];
        }

        /// <summary>JSON built as bytes, so that it can carry what no string can: invalid UTF-8.</summary>
        private sealed class JsonText
        {
            private readonly List<byte> _bytes = [];

            public int Length => _bytes.Count;

            public void Ascii(string text) => _bytes.AddRange(Encoding.UTF8.GetBytes(text));

            public void Bytes(byte[] bytes) => _bytes.AddRange(bytes);

            public void Truncate(int length) => _bytes.RemoveRange(length, _bytes.Count - length);

            /// <summary>A JSON string; a lone surrogate is written escaped (\ud800), or with <paramref name="rawLoneSurrogates"/> as invalid UTF-8 bytes.</summary>
            public void String(string text, bool rawLoneSurrogates = false)
            {
                _bytes.Add((byte)'"');
                for (var i = 0; i < text.Length; i++)
                {
                    var c = text[i];
                    if (char.IsSurrogatePair(text, i))
                    {
                        Ascii(text.Substring(i++, 2));
                    }
                    else if (char.IsSurrogate(c) && rawLoneSurrogates)
                    {
                        Bytes(LoneSurrogateBytes(c));
                    }
                    else if (c is '"' or '\\' || c < ' ' || char.IsSurrogate(c))
                    {
                        Ascii($"\\u{(int)c:x4}");
                    }
                    else
                    {
                        Ascii(c.ToString());
                    }
                }
                _bytes.Add((byte)'"');
            }

            public byte[] ToArray() => [.. _bytes];
        }
    }
}
