using System.Net.Sockets;
using System.Text;

namespace Spike.Cli.Local;

/// <summary>What a process answers to its readiness check right now.</summary>
public enum ReadyAnswer
{
    /// <summary>Nothing answered (not listening yet, or gone).</summary>
    None,

    /// <summary>It answered, but is not ready (a node's /ready other than 200).</summary>
    NotReady,

    /// <summary>Redis answered LOADING: it is reading its append-only file.</summary>
    Loading,

    Ready,
}

/// <summary>
/// The readiness checks of the local cluster's processes: <c>/ready</c> of a node (200 once it has joined the cluster and
/// can serve), <c>/nginx/healthz</c> of nginx, PING of Redis.
/// </summary>
public sealed class Readiness : IDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromSeconds(5) })
    {
        Timeout = ProbeTimeout,
    };

    public async Task<ReadyAnswer> ProbeAsync(string host, RunProcess process, CancellationToken cancel = default) => process.Kind switch
    {
        ProcessKinds.Redis => await PingRedisAsync(host, process.Port, cancel),
        ProcessKinds.Nginx => await GetAsync($"http://{host}:{process.Port}/nginx/healthz", cancel),
        _ => await GetAsync($"http://{host}:{process.Port}/ready", cancel),
    };

    /// <summary>A short label for tables: 200, 503, PONG, LOADING, "-" (nothing answered).</summary>
    public static string Label(RunProcess process, ReadyAnswer answer) => (process.Kind, answer) switch
    {
        (_, ReadyAnswer.None) => "-",
        (ProcessKinds.Redis, ReadyAnswer.Ready) => "PONG",
        (_, ReadyAnswer.Loading) => "LOADING",
        (_, ReadyAnswer.Ready) => "200",
        _ => "no",
    };

    private async Task<ReadyAnswer> GetAsync(string url, CancellationToken cancel)
    {
        try
        {
            using var response = await _http.GetAsync(url, cancel);
            return response.IsSuccessStatusCode ? ReadyAnswer.Ready : ReadyAnswer.NotReady;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            return ReadyAnswer.None;
        }
    }

    /// <summary>PING in Redis's protocol: +PONG when it serves, -LOADING while it reads its data set.</summary>
    public static async Task<ReadyAnswer> PingRedisAsync(string host, int port, CancellationToken cancel = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[128];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            var reply = Encoding.ASCII.GetString(buffer, 0, read);
            return reply.StartsWith("+PONG", StringComparison.Ordinal) ? ReadyAnswer.Ready
                : reply.StartsWith("-LOADING", StringComparison.Ordinal) ? ReadyAnswer.Loading
                : ReadyAnswer.NotReady;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancel.IsCancellationRequested)
        {
            return ReadyAnswer.None;
        }
    }

    /// <summary>Something accepts connections on the port (another program, or a process of ours still running).</summary>
    public static bool IsPortBusy(string host, int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(host, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();
}
