using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Spike.Api.Endpoints;

/// <summary>
/// A JSON answer written straight into the response, with its Content-Length. The framework's JSON results
/// resolve a logger from the request's services, which opens a dependency-injection scope per request;
/// the buy path answers tens of thousands of buyers a second and needs none of that. Fixed answers
/// (sold out, limit reached, ...) are encoded once.
/// </summary>
public sealed class JsonAnswer<T> : IResult
{
    private readonly T _value;
    private readonly JsonTypeInfo<T> _type;
    private readonly byte[]? _encoded;

    internal JsonAnswer(int statusCode, T value, JsonTypeInfo<T> type, bool encodeOnce)
    {
        StatusCode = statusCode;
        _value = value;
        _type = type;
        _encoded = encodeOnce ? JsonSerializer.SerializeToUtf8Bytes(value, type) : null;
    }

    public int StatusCode { get; }

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = JsonAnswer.ContentType;
        if (_encoded is not null)
        {
            JsonAnswer.Write(response, _encoded);
        }
        else
        {
            JsonAnswer.Write(response, _value, _type);
        }
        // Kestrel flushes what is left in the body writer when the request ends: one write per answer.
        return Task.CompletedTask;
    }
}

public static class JsonAnswer
{
    internal const string ContentType = "application/json; charset=utf-8";

    /// <summary>An answer built for one request.</summary>
    public static JsonAnswer<T> Of<T>(int statusCode, T value, JsonTypeInfo<T> type) => new(statusCode, value, type, encodeOnce: false);

    /// <summary>An answer given to many requests, encoded once.</summary>
    public static JsonAnswer<T> Fixed<T>(int statusCode, T value, JsonTypeInfo<T> type) => new(statusCode, value, type, encodeOnce: true);

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    internal static void Write(HttpResponse response, ReadOnlySpan<byte> encoded)
    {
        response.ContentLength = encoded.Length;
        response.BodyWriter.Write(encoded);
    }

    /// <summary>Encodes into a per-thread buffer, then copies into the response: no allocation per answer.</summary>
    internal static void Write<T>(HttpResponse response, T value, JsonTypeInfo<T> type)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        try
        {
            JsonSerializer.Serialize(writer, value, type);
            writer.Flush();
            // Copied before this thread can encode the next answer into the same buffer.
            Write(response, buffer.WrittenSpan);
        }
        finally
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
        }
    }
}
