using AuditGuard.Engine.Operations.Parameters;

namespace AuditGuard.Engine.Tests.Operations.Parameters;

public sealed class SecretNamesTests
{
    [Theory]
    [InlineData("password")]
    [InlineData("Password")]
    [InlineData("db_password")]
    [InlineData("connectionString")]
    [InlineData("ConnectionString")]
    [InlineData("Authorization")]
    [InlineData("bearer")]
    [InlineData("Pass")]
    [InlineData("adminPass")]
    [InlineData("PIN")]
    [InlineData("userPin")]
    [InlineData("sas")]
    [InlineData("SasUrl")]
    [InlineData("cookie")]
    [InlineData("ApiKey")]
    [InlineData("APIKey")]
    [InlineData("x-api-key")]
    [InlineData("client_secret")]
    [InlineData("privateKey")]
    [InlineData("pwd")]
    [InlineData("AdminPw")]
    [InlineData("PASSWORD")]
    [InlineData("pаssword")] // Cyrillic а
    [InlineData("Раssword")] // Cyrillic Р and а
    [InlineData("tοken")] // Greek ο
    [InlineData("ｐａｓｓｗｏｒｄ")] // fullwidth
    [InlineData("pass\u200Bword")] // zero-width space
    [InlineData("pässwörd")]
    public void Reads_as_a_secret(string name) => Assert.True(SecretNames.IsSecret(name), name);

    [Theory]
    [InlineData("Path")]
    [InlineData("Value")]
    [InlineData("Mode")]
    [InlineData("Mapping")]
    [InlineData("PassThru")]
    [InlineData("Encoding")]
    [InlineData("Hosts")]
    [InlineData("Canvas")]
    public void Reads_as_an_ordinary_name(string name) => Assert.False(SecretNames.IsSecret(name), name);
}
