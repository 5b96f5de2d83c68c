using System.Buffers.Binary;
using System.Text;

namespace Spike.Commands;

/// <summary>
/// The command host's wire format, one command per TCP connection. The client sends
/// <c>"SPK1" | u16 length | token | u16 length | command line</c> (lengths big-endian, text UTF-8); the server
/// answers with frames <c>kind | u32 length | payload</c>: output lines, error lines, then one exit frame whose
/// payload is the exit code (i32), and closes. Every length is bounded before anything is allocated, so a
/// stray or hostile peer costs a few bytes, not memory.
/// </summary>
public static class CommandWire
{
    public const int MaxTokenBytes = 256;
    public const int MaxCommandBytes = 4096;
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>Something that is not a Spike command client (an HTTP probe, a port scanner) fails here at once.</summary>
    private static readonly byte[] Magic = "SPK1"u8.ToArray();

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task WriteRequestAsync(Stream stream, CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(request);
        var token = Encode(request.Token, MaxTokenBytes, "token");
        var command = Encode(request.CommandLine, MaxCommandBytes, "command line");
        var frame = new byte[Magic.Length + 2 + token.Length + 2 + command.Length];
        Magic.CopyTo(frame, 0);
        var at = Magic.Length;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), (ushort)token.Length);
        token.CopyTo(frame, at += 2);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at += token.Length), (ushort)command.Length);
        command.CopyTo(frame, at + 2);
        await stream.WriteAsync(frame, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <exception cref="CommandWireException">Not the Spike protocol, a length above its bound, invalid UTF-8 or a cut-off request.</exception>
    public static async Task<CommandRequest> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var magic = await ReadExactlyAsync(stream, Magic.Length, cancellationToken);
        if (!magic.AsSpan().SequenceEqual(Magic))
        {
            throw new CommandWireException("not a Spike command request");
        }
        var token = await ReadTextAsync(stream, MaxTokenBytes, "token", cancellationToken);
        var command = await ReadTextAsync(stream, MaxCommandBytes, "command line", cancellationToken);
        return new CommandRequest(token, command);
    }

    /// <summary>Writes one line of output; a line above <see cref="MaxLineBytes"/> is cut, never refused.</summary>
    public static async Task WriteLineAsync(Stream stream, ReplyKind kind, string line, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(line);
        if (kind is not (ReplyKind.Output or ReplyKind.Error))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "only output and error lines carry text");
        }
        var text = Encoding.UTF8.GetBytes(line);
        await WriteFrameAsync(stream, kind, text.Length <= MaxLineBytes ? text : CutToBound(line), cancellationToken);
    }

    public static async Task WriteExitAsync(Stream stream, int exitCode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var payload = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, exitCode);
        await WriteFrameAsync(stream, ReplyKind.Exit, payload, cancellationToken);
    }

    /// <exception cref="CommandWireException">An unknown frame kind, a length above its bound, invalid UTF-8 or a cut-off frame.</exception>
    public static async Task<ReplyFrame> ReadReplyAsync(Stream stream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = await ReadExactlyAsync(stream, 5, cancellationToken);
        var kind = (ReplyKind)header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        switch (kind)
        {
            case ReplyKind.Exit when length == 4:
                var code = await ReadExactlyAsync(stream, 4, cancellationToken);
                return new ReplyFrame(kind, string.Empty, BinaryPrimitives.ReadInt32BigEndian(code));
            case ReplyKind.Output or ReplyKind.Error when length <= MaxLineBytes:
                var text = await ReadExactlyAsync(stream, (int)length, cancellationToken);
                return new ReplyFrame(kind, Decode(text, "line"), 0);
            default:
                throw new CommandWireException($"unexpected reply frame (kind {header[0]}, {length} bytes)");
        }
    }

    private static async Task WriteFrameAsync(Stream stream, ReplyKind kind, byte[] payload, CancellationToken cancellationToken)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = (byte)kind;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        await stream.WriteAsync(frame, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static async Task<string> ReadTextAsync(Stream stream, int maxBytes, string what, CancellationToken cancellationToken)
    {
        var header = await ReadExactlyAsync(stream, 2, cancellationToken);
        var length = BinaryPrimitives.ReadUInt16BigEndian(header);
        if (length > maxBytes)
        {
            throw new CommandWireException($"{what} of {length} bytes is above the limit of {maxBytes}");
        }
        return Decode(await ReadExactlyAsync(stream, length, cancellationToken), what);
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken);
        }
        catch (EndOfStreamException e)
        {
            throw new CommandWireException("the connection closed in the middle of a frame", e);
        }
        return buffer;
    }

    private static byte[] Encode(string text, int maxBytes, string what)
    {
        ArgumentNullException.ThrowIfNull(text, what);
        var bytes = StrictUtf8.GetBytes(text);
        return bytes.Length <= maxBytes
            ? bytes
            : throw new ArgumentException($"the {what} is {bytes.Length} bytes; at most {maxBytes} are accepted", what);
    }

    private static string Decode(byte[] bytes, string what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new CommandWireException($"the {what} is not valid UTF-8", e);
        }
    }

    /// <summary>A UTF-8 character is at most 4 bytes, so this many characters always fit.</summary>
    private static byte[] CutToBound(string line) => Encoding.UTF8.GetBytes(line[..((MaxLineBytes / 4) - 1)] + "…");
}

public enum ReplyKind : byte
{
    Output = (byte)'o',
    Error = (byte)'e',
    Exit = (byte)'x',
}

public sealed record CommandRequest(string Token, string CommandLine);

/// <param name="ExitCode">Only for <see cref="ReplyKind.Exit"/>.</param>
public sealed record ReplyFrame(ReplyKind Kind, string Text, int ExitCode);

/// <summary>The peer does not speak the command protocol, or broke off in the middle of a frame.</summary>
public sealed class CommandWireException : Exception
{
    public CommandWireException()
    {
    }

    public CommandWireException(string message) : base(message)
    {
    }

    public CommandWireException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
