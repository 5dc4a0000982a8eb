/**
 * The wire constants of the Amazon SQS Extended Client Library for Java (2.x) and Python, with
 * their sources, so that messages written by either are read here and messages written here are
 * read by either.
 *
 * @see https://github.com/awslabs/amazon-sqs-java-extended-client-lib — `SQSExtendedClientConstants.java`, `AmazonSQSExtendedClientUtil.java`
 * @see https://github.com/awslabs/payload-offloading-java-common-lib-for-aws — `PayloadS3Pointer.java`, `JsonDataConverter.java`, `S3BackedPayloadStore.java`
 * @see https://github.com/awslabs/amazon-sqs-python-extended-client-lib — `src/sqs_extended_client/client.py`
 */

/** Message attribute marking a pointer message; its value is the payload's UTF-8 byte length (`DataType` `Number`). */
export const RESERVED_ATTRIBUTE_NAME = 'ExtendedPayloadSize';

/** The 1.x name of {@link RESERVED_ATTRIBUTE_NAME}, still read by both clients (and written with `useLegacyReservedAttributeName`). */
export const LEGACY_RESERVED_ATTRIBUTE_NAME = 'SQSLargePayloadSize';

/**
 * Class name of the pointer written by Java 2.x and Python: Jackson's default typing
 * (`enableDefaultTyping(NON_FINAL)`, as `WRAPPER_ARRAY`) makes the body the two-element array
 * `["<class>", {"s3BucketName": …, "s3Key": …}]`.
 */
export const POINTER_CLASS = 'software.amazon.payloadoffloading.PayloadS3Pointer';

/** Class name of the pointer written by the Java 1.x client (`MessageS3Pointer`), read by the Python client as legacy. */
export const LEGACY_POINTER_CLASS = 'com.amazon.sqs.javamessaging.MessageS3Pointer';

/**
 * The clients' default offloading threshold, in bytes of body + attributes (`> threshold`
 * offloads). Both released clients still use 256 KiB although SQS accepts 1 MiB since August
 * 2025 (pull requests raising it were open in 2026).
 */
export const EXTENDED_CLIENT_DEFAULT_THRESHOLD_BYTES = 262_144;

/** Message attributes a pointer message may carry besides the reserved one (SQS allows 10). */
export const MAX_USER_ATTRIBUTES_WITH_POINTER = 9;

/** Longest S3 object key, and so the longest key prefix before the 36-character UUID (Java: `MAX_S3_KEY_PREFIX_LENGTH`). */
export const MAX_S3_KEY_PREFIX_LENGTH = 1024 - 36;

/** Characters the Java client accepts in a key prefix (`INVALID_S3_PREFIX_KEY_CHARACTERS_PATTERN` is the complement). */
export const VALID_S3_KEY_PREFIX = /^[a-zA-Z0-9./_-]*$/;
