import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";

/**
 * A local OpenID provider over real HTTP: discovery document and JWKS on 127.0.0.1, keys from
 * jose, and switches to make it misbehave the ways real ones do (down, slow, wrong document).
 */
export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export type DiscoveryMode = "ok" | "no-jwks-uri" | "wrong-issuer" | "error" | "hang";
export type JwksMode = "ok" | "hang" | "error" | "not-json";

export interface OidcProvider {
  issuer: string;
  origin: string;
  jwksUrl: string;
  rsa: SigningKey;
  ec: SigningKey;
  /** Signs but is not published: what an attacker's or another issuer's key looks like. */
  stranger: SigningKey;
  requests: { discovery: number; jwks: number };
  discovery: DiscoveryMode;
  jwks: JwksMode;
  sign(claims: JWTPayload, key?: SigningKey): Promise<string>;
  close(): Promise<void>;
}

export async function signingKey(kid: string, alg: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey };
}

/** `issuerPath` lets tests take Keycloak's shape (/realms/x) or Auth0's (a trailing "/"). */
export async function startOidcProvider(issuerPath = "/realms/test"): Promise<OidcProvider> {
  const keys = {
    rsa: await signingKey("rsa-1", "RS256"),
    ec: await signingKey("ec-1", "ES256"),
    stranger: await signingKey("rsa-9", "RS256"),
  };
  const published = await Promise.all(
    [keys.rsa, keys.ec].map(async (k) => ({
      ...(await exportJWK(k.publicKey)),
      kid: k.kid,
      alg: k.alg,
      use: "sig",
    })),
  );
  const hung = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => answer(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}${issuerPath}`;
  const issuerBase = issuer.replace(/\/+$/, "");
  const issuerPathBase = new URL(issuerBase).pathname.replace(/\/+$/, "");

  const provider: OidcProvider = {
    issuer,
    origin,
    jwksUrl: `${issuerBase}/protocol/openid-connect/certs`,
    ...keys,
    requests: { discovery: 0, jwks: 0 },
    discovery: "ok",
    jwks: "ok",
    async sign(claims, key = keys.rsa) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "at+jwt" })
        .sign(key.privateKey);
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  function answer(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? "/", origin).pathname;
    if (path === `${issuerPathBase}/.well-known/openid-configuration`) {
      provider.requests.discovery++;
      if (provider.discovery === "hang") return void hung.add(res);
      if (provider.discovery === "error") return json(res, 500, { error: "server_error" });
      return json(res, 200, {
        issuer: provider.discovery === "wrong-issuer" ? `${origin}/realms/other` : issuer,
        authorization_endpoint: `${issuerBase}/protocol/openid-connect/auth`,
        token_endpoint: `${issuerBase}/protocol/openid-connect/token`,
        ...(provider.discovery === "no-jwks-uri" ? {} : { jwks_uri: provider.jwksUrl }),
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256", "ES256"],
        code_challenge_methods_supported: ["S256"],
      });
    }
    if (path === new URL(provider.jwksUrl).pathname) {
      provider.requests.jwks++;
      if (provider.jwks === "hang") return void hung.add(res);
      if (provider.jwks === "error") return json(res, 503, { error: "unavailable" });
      if (provider.jwks === "not-json") {
        res.writeHead(200, { "content-type": "text/html" }).end("<html>login</html>");
        return;
      }
      return json(res, 200, { keys: published });
    }
    json(res, 404, { error: "not_found" });
  }

  return provider;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
