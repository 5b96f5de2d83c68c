using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Spike.Api.Endpoints;

/// <summary>Reads a small JSON body strictly: size-capped, unknown fields refused, every failure a 400.</summary>
public static class JsonBody
{
    public static async Task<(T? Value, ValidationProblem? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength > RequestRules.MaxBodyBytes)
        {
            return (null, ApiResults.Invalid("body", $"must be at most {RequestRules.MaxBodyBytes} bytes"));
        }
        var read = await request.BodyReader.ReadAtLeastAsync(RequestRules.MaxBodyBytes + 1, cancellationToken);
        var buffer = read.Buffer;
        try
        {
            if (buffer.Length > RequestRules.MaxBodyBytes)
            {
                return (null, ApiResults.Invalid("body", $"must be at most {RequestRules.MaxBodyBytes} bytes"));
            }
            var reader = new Utf8JsonReader(buffer);
            var value = JsonSerializer.Deserialize(ref reader, type);
            return value is null ? (null, ApiResults.Invalid("body", "must be a JSON object")) : (value, null);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return (null, ApiResults.Invalid(field, $"is not valid: {e.Message}"));
        }
        finally
        {
            request.BodyReader.AdvanceTo(buffer.End);
        }
    }
}
