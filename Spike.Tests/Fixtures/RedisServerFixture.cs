using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Spike.Host.Redis;
using Spike.Tests.Support;
using StackExchange.Redis;

namespace Spike.Tests.Fixtures;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, without persistence settings (<c>--save "" --appendonly no</c>)
/// in a temp dir, with DEBUG allowed from loopback (<c>DEBUG SLEEP</c> simulates a slow Redis). Tests can stop it (Redis down) and start it again on the same port (Redis back).
/// Share one per test collection (<see cref="RedisCollection"/>) and give each test its own sale id.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(15);

    private readonly string _directory;
    private readonly string _executable;
    private readonly string? _password;
    private Process? _process;
    private ConnectionMultiplexer? _connection;
    private bool _disposed;

    public RedisServerFixture()
        : this(password: null)
    {
    }

    private RedisServerFixture(string? password)
    {
        _password = password;
        _executable = FindRedisServer();
        Port = FreePort.Next();
        _directory = Path.Combine(Path.GetTempPath(), "spike-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>A server that requires <paramref name="password"/> (requirepass); <see cref="ConnectionString"/> carries it.</summary>
    public static RedisServerFixture WithPassword(string password) => new(password);

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration of this server (no admin mode).</summary>
    public string ConnectionString => $"127.0.0.1:{Port}" + (_password is null ? "" : $",password={_password}");

    /// <summary>A connection made by <see cref="RedisConnection.Connect"/> (admin mode on, for FLUSHALL and SCRIPT FLUSH).</summary>
    public ConnectionMultiplexer Connection =>
        _connection ?? throw new InvalidOperationException("The Redis fixture has not been initialized.");

    public IDatabase Database => Connection.GetDatabase();

    public IServer Server => Connection.GetServer("127.0.0.1", Port);

    public bool IsRunning => _process is { HasExited: false };

    public async Task InitializeAsync()
    {
        await StartAsync();
    }

    /// <summary>Starts redis-server (again) on <see cref="Port"/> and waits until it and <see cref="Connection"/> answer PING.</summary>
    public async Task StartAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsRunning)
        {
            return;
        }

        var info = new ProcessStartInfo(_executable)
        {
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", _directory,
            "--logfile", Path.Combine(_directory, "redis.log"),
            "--daemonize", "no",
            "--enable-debug-command", "local", // DEBUG SLEEP lets tests make Redis slow (timeouts)
        })
        {
            info.ArgumentList.Add(arg);
        }
        if (_password is not null)
        {
            info.ArgumentList.Add("--requirepass");
            info.ArgumentList.Add(_password);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {_executable}.");

        var deadline = DateTime.UtcNow + StartDeadline;
        while (!await RawPingAsync())
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException(
                    $"redis-server did not answer PING on port {Port} (exited: {_process.HasExited}). Log:\n{ReadLog()}");
            }

            await Task.Delay(20);
        }

        _connection ??= RedisConnection.Connect(ConnectionString + ",allowAdmin=true");
        await WaitUntilConnectedAsync(deadline);
    }

    /// <summary>
    /// Stops the server. With <paramref name="keepData"/> (the default) it shuts down saving its data, which a later
    /// <see cref="StartAsync"/> loads again (like a restart of a persistent Redis); without, it is killed and its
    /// data is gone (a crash of a Redis without persistence). The script cache is lost either way.
    /// </summary>
    public async Task StopAsync(bool keepData = true)
    {
        var process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }

        if (keepData)
        {
            await SendRawAsync((_password is null ? "" : $"AUTH {_password}\r\n") + "SHUTDOWN SAVE\r\n");
            using var timeout = new CancellationTokenSource(StartDeadline);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        else
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
    }

    public async Task FlushAllAsync()
    {
        await Server.FlushAllDatabasesAsync();
    }

    public async Task DisposeAsync()
    {
        Dispose();
        await Task.CompletedTask;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _connection?.Dispose();
        KillProcess();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp dir left behind is harmless
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => KillProcess();

    private void KillProcess()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        process.Dispose();
    }

    private async Task WaitUntilConnectedAsync(DateTime deadline)
    {
        while (true)
        {
            try
            {
                if (Connection.IsConnected)
                {
                    await Database.PingAsync();
                    return;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException && DateTime.UtcNow < deadline)
            {
                // still reconnecting
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The connection to redis-server on port {Port} did not come back.");
            }

            await Task.Delay(20);
        }
    }

    private async Task<bool> RawPingAsync()
    {
        try
        {
            // a server with a password answers, but refuses PING before AUTH
            var reply = await SendRawAsync("PING\r\n");
            return reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Sends one inline command over a fresh socket and returns what came back (may be empty).</summary>
    private async Task<string> SendRawAsync(string command)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command), timeout.Token);
        var buffer = new byte[256];
        try
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (OperationCanceledException)
        {
            return "";
        }
    }

    private string ReadLog()
    {
        var log = Path.Combine(_directory, "redis.log");
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(20)) : "(no log)";
    }

    private static string FindRedisServer()
    {
        var configured = Environment.GetEnvironmentVariable("REDIS_SERVER");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var candidates = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .Append("/usr/bin/redis-server")
            .Append("/usr/local/bin/redis-server");
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "redis-server is not installed: the Redis integration tests start a real one. "
                + "Install it (apt-get install -y redis-server) or set REDIS_SERVER to its path.");
    }
}

/// <summary>Test classes marked <c>[Collection(RedisCollection.Name)]</c> share one <see cref="RedisServerFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "redis";
}
