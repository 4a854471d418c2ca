package io.mlplatform.storage.backup;

import java.util.concurrent.CompletableFuture;

import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.scheme.AwsV4AuthScheme;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignRequest;
import software.amazon.awssdk.http.auth.spi.signer.AsyncSignedRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignRequest;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.IdentityProvider;
import software.amazon.awssdk.identity.spi.IdentityProviders;

/**
 * SigV4 that leaves the payload unsigned on plain-HTTP endpoints too, as the SDK already does over
 * HTTPS. Signing the payload means hashing every uploaded byte twice more (client and server) with
 * SHA-256; the content's integrity is covered anyway by the upload checksum and by the sha256 every
 * restore verifies. The request is signed as if it were HTTPS: the scheme is not part of the
 * signature, so the server accepts it.
 */
final class UnsignedPayloadAuthScheme implements AwsV4AuthScheme {

	private final AwsV4AuthScheme delegate = AwsV4AuthScheme.create();

	@Override
	public String schemeId() {
		return this.delegate.schemeId();
	}

	@Override
	public IdentityProvider<AwsCredentialsIdentity> identityProvider(IdentityProviders providers) {
		return this.delegate.identityProvider(providers);
	}

	@Override
	public AwsV4HttpSigner signer() {
		AwsV4HttpSigner signer = this.delegate.signer();
		return new AwsV4HttpSigner() {

			@Override
			public SignedRequest sign(SignRequest<? extends AwsCredentialsIdentity> request) {
				SdkHttpRequest http = request.request();
				if (!"http".equals(http.protocol())) {
					return signer.sign(request);
				}
				SignedRequest signed = signer.sign(request.copy(r -> r.request(withProtocol(http, "https"))));
				return signed.copy(r -> r.request(withProtocol(signed.request(), "http")));
			}

			@Override
			public CompletableFuture<AsyncSignedRequest> signAsync(
					AsyncSignRequest<? extends AwsCredentialsIdentity> request) {
				return signer.signAsync(request);
			}

		};
	}

	private static SdkHttpRequest withProtocol(SdkHttpRequest request, String protocol) {
		return request.toBuilder().protocol(protocol).port(request.port()).build();
	}

}
