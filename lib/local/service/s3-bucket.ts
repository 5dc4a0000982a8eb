/** `AWS::S3::Bucket` → an S3 bucket in the emulator (its name only: no encryption, versioning or lifecycle locally). */
import { CreateBucketCommand, HeadBucketCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { awsErrorName, ignoredProperties, propertyPath, type DeclaredResource, type ResourceCreator } from './declared-resource';

const APPLIED = ['BucketName'] as const;

/** A bucket name CloudFormation would generate, minus its random suffix: lower case, at most 63 characters. */
function generatedBucketName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 63)
    .replace(/[.-]+$/, '');
}

/** Creates the bucket in the region (unless it exists). */
export const s3BucketCreator: ResourceCreator = {
  type: 'AWS::S3::Bucket',
  service: 's3',
  async create({ logicalId, properties, resolver, clients, stackName, region }): Promise<DeclaredResource> {
    const name = properties.BucketName === undefined
      ? generatedBucketName(stackName, logicalId)
      : resolver.resolveString(properties.BucketName, propertyPath(logicalId, 'BucketName'));
    const s3 = clients.s3();
    let status: DeclaredResource['status'] = 'existed';
    try {
      await s3.send(new HeadBucketCommand({ Bucket: name }));
    } catch (error) {
      if (awsErrorName(error) !== 'NotFound' && awsErrorName(error) !== 'NoSuchBucket') throw error;
      status = 'created';
      try {
        await s3.send(
          new CreateBucketCommand({
            Bucket: name,
            // us-east-1 is the one region S3 wants no location constraint for.
            ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
          }),
        );
      } catch (createError) {
        if (awsErrorName(createError) !== 'BucketAlreadyOwnedByYou') throw createError;
        status = 'existed';
      }
    }
    const arn = `arn:aws:s3:::${name}`;
    return {
      logicalId,
      type: this.type,
      name,
      arn,
      ref: name,
      attributes: {
        Arn: arn,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
      },
      status,
      ignoredProperties: ignoredProperties(properties, APPLIED),
    };
  },
};
